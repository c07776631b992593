using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Watching;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Worker.Health;

/// <summary>
/// The watcher's state: how many TDQLs wait, how many leases have expired (a worker died holding them, or the
/// watcher is behind re-claiming) and when its poll last succeeded.
/// </summary>
public sealed class WatcherHealthCheck(WatcherState state, MongoContext mongo, IClock clock, IOptions<WorkerOptions> options) : IHealthCheck
{
    /// <summary>Counting beyond this tells an operator nothing more and would make every check a long scan.</summary>
    public const int CountLimit = 10_000;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MongoHealthCheck.Timeout);
        long backlog, expired;
        try
        {
            var limit = new CountOptions { Limit = CountLimit };
            backlog = await mongo.ReportDb.CountDocumentsAsync(TdqlFilters.Waiting, limit, timeout.Token);
            expired = await mongo.Leases.CountDocumentsAsync(Leases.ExpiredAt(clock.GetCurrentInstant()), limit, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or MongoException)
        {
            return HealthCheckResult.Unhealthy($"backlog not countable: {e.GetType().Name}");
        }
        return Judge(state.SinceLastPoll, state.Unannounced, backlog, expired, StaleAfter(options.Value));
    }

    /// <summary>A poll loop silent for this long has stopped, whatever its backoff: several idle intervals and a publish timeout.</summary>
    public static TimeSpan StaleAfter(WorkerOptions o) =>
        TimeSpan.FromMilliseconds(Math.Max(30_000, 10.0 * o.PollIdleMilliseconds + 2_000.0 * o.PublishTimeoutSeconds));

    public static HealthCheckResult Judge(TimeSpan? sinceLastPoll, int unannounced, long backlog, long expiredLeases, TimeSpan staleAfter)
    {
        var data = new Dictionary<string, object>
        {
            ["backlog"] = backlog,
            ["expiredLeases"] = expiredLeases,
            ["unannounced"] = unannounced,
            ["secondsSinceLastPoll"] = sinceLastPoll is { } s ? Math.Round(s.TotalSeconds, 1) : -1,
        };
        if (sinceLastPoll is null) return HealthCheckResult.Degraded("no poll yet", data: data);
        if (sinceLastPoll > staleAfter) return HealthCheckResult.Unhealthy($"no successful poll for {sinceLastPoll.Value.TotalSeconds:0} s", data: data);
        if (unannounced > 0) return HealthCheckResult.Degraded($"{unannounced} claims wait for the broker", data: data);
        if (expiredLeases > 0) return HealthCheckResult.Degraded($"{expiredLeases} leases expired", data: data);
        return HealthCheckResult.Healthy($"{backlog} waiting", data);
    }
}
