using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Tahoe.Time;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Cybex.Report.Worker.Watcher;

/// <summary>
/// Finds TDQLs waiting in report_db, claims each one atomically and publishes <see cref="ReportRequested"/>.
/// Polls with an adaptive interval (short while work arrives, backing off to the idle interval) instead of the
/// original's busy loop, and survives database or broker faults by backing off and trying again.
/// </summary>
public sealed class ArchiveWatcher(
    ClaimStore claims, IBus bus, IClock clock, WorkerMetrics metrics, IOptions<WorkerOptions> options, ILogger<ArchiveWatcher> logger)
    : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;

    private Duration Lease => Duration.FromSeconds(_options.LeaseSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(_options.PollMinMilliseconds);
        var idle = TimeSpan.FromMilliseconds(_options.PollIdleMilliseconds);
        var expiredScanEvery = Duration.FromSeconds(Math.Clamp(_options.LeaseSeconds / 4.0, 1, 30));
        var nextExpiredScan = Instant.MinValue;
        var hot = TimeSpan.FromMilliseconds(_options.PollHotMilliseconds);
        var lastWork = DateTimeOffset.MinValue;
        logger.LogInformation("Archive watcher started: lease {Lease}s, poll {Min}-{Idle} ms", _options.LeaseSeconds, _options.PollMinMilliseconds, _options.PollIdleMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            try
            {
                if (clock.GetCurrentInstant() >= nextExpiredScan)
                {
                    nextExpiredScan = clock.GetCurrentInstant() + expiredScanEvery;
                    foreach (var claim in await claims.ReclaimExpiredAsync(_options.ClaimBatch, Lease, stoppingToken))
                    {
                        logger.LogWarning("Lease of TDQL {Tdql} expired; re-claimed (attempt {Attempt})", claim.TdqlHash, claim.Attempt);
                        await PublishAsync(claim, reclaim: true, 0, stoppingToken);
                        claimed++;
                    }
                }
                var waiting = new List<MongoDB.Bson.BsonDocument>();
                foreach (var doc in await claims.WaitingAsync(_options.ClaimBatch, stoppingToken))
                {
                    if (IsWellFormed(doc, out var reason))
                    {
                        waiting.Add(doc);
                        continue;
                    }
                    var hash = doc.GetValue("_hash", "?").ToString();
                    logger.LogWarning("TDQL {Tdql} is malformed ({Reason}); marked and skipped", hash, reason);
                    if (Tahoe.Documents.TdqlHashes.IsValid(hash)) await claims.MarkMalformedAsync(hash!, reason, stoppingToken);
                }
                var created = waiting.ToDictionary(d => d["_hash"].AsString, d => d["data"]["timestamp"][0].ToDouble());
                var fresh = (await claims.ClaimBatchAsync(waiting, Lease, _options.ClaimParallelism, stoppingToken)).Select(c => (c, created[c.TdqlHash]));
                foreach (var (claim, createdAt) in fresh)
                {
                    await PublishAsync(claim, reclaim: false, createdAt, stoppingToken);
                    claimed++;
                }
                // Stay quick for a moment after work (queries come in bursts), then back off towards idle.
                if (claimed > 0) lastWork = DateTimeOffset.UtcNow;
                delay = DateTimeOffset.UtcNow - lastWork < hot ? TimeSpan.FromMilliseconds(_options.PollMinMilliseconds) : Min(delay * 2, idle);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A dead watcher would leave every query waiting: log, back off, go on.
                logger.LogError(e, "Archive watcher poll failed; retrying in {Delay}", idle);
                delay = idle;
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        logger.LogInformation("Archive watcher stopped claiming");
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static bool IsWellFormed(MongoDB.Bson.BsonDocument doc, out string reason)
    {
        try
        {
            Tahoe.Documents.Tdql.Parse(doc);
            var edges = doc["_cref"].IsBsonArray && doc["_ref"].IsBsonArray;
            reason = edges ? "" : "TDQL _cref or _ref is not a list";
            return edges;
        }
        catch (Exception e) when (e is Tahoe.TahoeFormatException or KeyNotFoundException or InvalidCastException)
        {
            reason = e.Message;
            return false;
        }
    }

    private async Task PublishAsync(Claim claim, bool reclaim, double createdSeconds, CancellationToken ct)
    {
        var message = new ReportRequested(claim.TdqlHash, claim.ClaimId, claim.ClaimedAt.ToDateTimeOffset());
        await bus.Publish(message, ctx => ctx.MessageId = MessageIds.For("requested", claim.TdqlHash, claim.ClaimId), ct);
        var lag = reclaim ? TimeSpan.Zero : (claim.ClaimedAt - TahoeTime.FromEpochSeconds(createdSeconds)).ToTimeSpan();
        metrics.Claimed(reclaim, lag);
    }
}
