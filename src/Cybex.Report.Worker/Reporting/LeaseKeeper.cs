using Microsoft.Extensions.Logging;

namespace Cybex.Report.Worker.Reporting;

/// <summary>
/// Renews a hold while the work under it runs: a claim's lease while its report runs (so a report that takes longer
/// than the lease is not claimed again under it), a reply's take while its nonce is sent (so another delivery takes
/// over only once this sender has died). Stops with the work; a renewal that fails is logged and left to the next
/// compare-and-set.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="renew">Renews the hold; false when it is no longer the caller's.</param>
    /// <param name="what">What is held, for the log (the lease, the reply).</param>
    public LeaseKeeper(Func<CancellationToken, Task<bool>> renew, TimeSpan every, string what, string tdql, ILogger logger) =>
        _loop = KeepAsync(renew, every, what, tdql, logger);

    private async Task KeepAsync(Func<CancellationToken, Task<bool>> renew, TimeSpan every, string what, string tdql, ILogger logger)
    {
        while (true)
        {
            // Every hold ends by cancelling this wait: suppressed rather than thrown, since an exception per report
            // and per reply was measured (dotnet-counters: two a report) and costs more than the wait.
            await Task.Delay(every, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_stop.IsCancellationRequested) return;
            try
            {
                if (!await renew(_stop.Token))
                {
                    logger.LogWarning("The {What} of TDQL {Tdql} was lost while it was worked on", what, tdql);
                    return;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Renewing the {What} of TDQL {Tdql} failed: {Error}", what, tdql, e.GetType().Name);
            }
        }
    }

    /// <summary>A third of the hold: two renewals may fail before it runs out.</summary>
    public static TimeSpan Every(NodaTime.Duration hold) => TimeSpan.FromMilliseconds(Math.Max(100, hold.TotalMilliseconds / 3));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
