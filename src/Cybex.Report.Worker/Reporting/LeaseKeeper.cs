using Cybex.Report.Storage.Claims;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Cybex.Report.Worker.Reporting;

/// <summary>
/// Renews a claim's lease while its report runs, so a report that takes longer than the lease is not claimed
/// again under it. Stops with the report; a renewal that fails is logged and left to the commit check.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LeaseKeeper(ClaimStore claims, string tdql, Guid claim, Duration lease, ILogger logger)
    {
        var every = TimeSpan.FromMilliseconds(Math.Max(100, lease.TotalMilliseconds / 3));
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, _stop.Token);
                    if (!await claims.RenewAsync(tdql, claim, lease, _stop.Token))
                    {
                        logger.LogWarning("Lease of TDQL {Tdql} was lost while its report ran", tdql);
                        return;
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    logger.LogWarning("Renewing the lease of TDQL {Tdql} failed: {Error}", tdql, e.GetType().Name);
                }
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
