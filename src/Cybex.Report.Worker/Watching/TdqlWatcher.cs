using Cybex.Report.Contracts;
using System.Diagnostics;
using Cybex.Report.Domain;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Worker.Health;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Quotas;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Cybex.Report.Worker.Watching;

/// <summary>
/// Finds TDQLs waiting in report_db, claims each one atomically and publishes <see cref="ReportRequested"/>.
/// Polls with an adaptive interval (short while work arrives, backing off to the idle interval) instead of the
/// original's busy loop, and survives database or broker faults by backing off and trying again.
/// </summary>
public sealed class TdqlWatcher(
    ClaimProtocol claims, TdqlStore tdqls, IIdentityReader identity, OrgQuotas orgQuotas, IBus bus, IClock clock, WorkerMetrics metrics, WatcherState state, IOptions<WorkerOptions> options,
    ILogger<TdqlWatcher> logger, IHostApplicationLifetime? lifetime = null)
    : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;

    private Duration Lease => Duration.FromSeconds(_options.LeaseSeconds);

    private int _started;

    /// <summary>
    /// Refuses a second start: the backlog of unannounced claims and the held-back users belong to one loop, and two
    /// loops on them each published the backlog's head and both removed one, dropping a claim unannounced.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref _started, 1) == 0 ? base.StartAsync(cancellationToken) : throw new InvalidOperationException("this TDQL watcher is already running");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Claims wait for the whole host: the bus connected and the warm-up done, so the first claim is answered at
        // full speed instead of its lease ticking while connections open.
        if (lifetime is not null && !await StartedAsync(lifetime, stoppingToken)) return;
        var delay = TimeSpan.FromMilliseconds(_options.PollMinMilliseconds);
        var idle = TimeSpan.FromMilliseconds(_options.PollIdleMilliseconds);
        var expiredScanEvery = Duration.FromSeconds(Math.Clamp(_options.LeaseSeconds / 4.0, 1, 30));
        var nextExpiredScan = Instant.MinValue;
        var hot = TimeSpan.FromMilliseconds(_options.PollHotMilliseconds);
        var hotCap = TimeSpan.FromMilliseconds(_options.PollMinMilliseconds * 4);
        long? lastWork = null;
        logger.LogInformation("TDQL watcher started: lease {Lease}s, poll {Min}-{Idle} ms", _options.LeaseSeconds, _options.PollMinMilliseconds, _options.PollIdleMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var claimed = 0;
            using var commands = CommandCounter.Begin("watcher");
            try
            {
                // While earlier claims are still unannounced the broker is unreachable: claiming more would only
                // hold more TDQLs hostage, so the backlog goes first.
                if (await AnnounceBacklogAsync(stoppingToken))
                {
                    if (clock.GetCurrentInstant() >= nextExpiredScan)
                    {
                        nextExpiredScan = clock.GetCurrentInstant() + expiredScanEvery;
                        var reclaimed = await claims.ReclaimExpiredAsync(_options.ClaimBatch, Lease, stoppingToken);
                        foreach (var claim in reclaimed.Claims)
                        {
                            logger.LogWarning("Lease of TDQL {Tdql} expired; re-claimed (attempt {Attempt})", claim.TdqlHash, claim.Attempt);
                        }
                        await AnnounceOwedRepliesAsync(reclaimed.Replies, stoppingToken);
                        claimed += await AnnounceAsync(reclaimed.Claims.Select(c => new Announcement(c, Reclaim: true, 0)), stoppingToken);
                    }
                    claimed += await ClaimWaitingAsync(stoppingToken);
                }
                // Quick again after work (queries come in bursts); every empty poll doubles the wait, only up to a few
                // minimum intervals for a moment after work (the next query of a client is likely near), then up to idle.
                if (claimed > 0) lastWork = Stopwatch.GetTimestamp();
                var cap = lastWork is { } last && Stopwatch.GetElapsedTime(last) < hot ? Min(hotCap, idle) : idle;
                delay = _unannounced.Count > 0 ? idle : claimed > 0 ? TimeSpan.FromMilliseconds(_options.PollMinMilliseconds) : Min(delay * 2, cap);
                state.Polled(_unannounced.Count);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A dead watcher would leave every query waiting: log, back off, go on.
                logger.LogError(e, "TDQL watcher poll failed; retrying in {Delay}", idle);
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
        logger.LogInformation("TDQL watcher stopped claiming");
    }

    private static async Task<bool> StartedAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var onStart = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStop = stoppingToken.Register(() => started.TrySetCanceled());
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// The waiting TDQLs worth claiming: every field the claim and the report use is checked (a TDQL is hostile
    /// input), and of several documents with one hash only the oldest is the TDQL, in this batch or not. The rest
    /// is marked malformed, with its reason, so no later poll trips over it again.
    /// </summary>
    private async Task<List<(BsonDocument Doc, Tdql Tdql)>> ClaimableAsync(List<BsonDocument> waiting, CancellationToken ct)
    {
        var parsed = new List<(BsonDocument Doc, Tdql Tdql)>();
        foreach (var doc in waiting)
        {
            try
            {
                parsed.Add((doc, Tdql.Parse(doc)));
            }
            catch (TahoeFormatException e)
            {
                await MarkAsync(doc, e.Message, ct);
            }
        }
        if (parsed.Count == 0) return parsed;
        var oldest = await tdqls.OldestIdsAsync(parsed.Select(p => p.Tdql.Hash).Distinct().ToList(), ct);
        var claimable = new List<(BsonDocument, Tdql)>();
        foreach (var p in parsed)
        {
            if (oldest.TryGetValue(p.Tdql.Hash, out var id) && id != p.Doc["_id"])
            {
                await MarkAsync(p.Doc, "another TDQL document has the same _hash; only the oldest is answered", ct);
                continue;
            }
            claimable.Add(p);
        }
        return claimable;
    }

    private async Task MarkAsync(BsonDocument doc, string reason, CancellationToken ct)
    {
        var shown = doc.GetValue("_hash", BsonNull.Value) is { IsString: true } h ? TextLimits.Shorten(h.AsString, 80) : "without a string _hash";
        logger.LogWarning("TDQL {Tdql} is malformed ({Reason}); marked and skipped", shown, reason);
        metrics.Malformed();
        await tdqls.MarkMalformedAsync(doc["_id"], reason, ct);
    }

    /// <summary>
    /// Claims what is waiting, fairly (<see cref="FairShare"/>): users with as many claims in flight as they may have
    /// are passed over in the read itself, so one user's backlog never hides another's query from the batch; an org
    /// at its quota (<see cref="OrgQuota"/>) gets nothing more, and its queries wait until the quota allows them.
    /// Returns how many claims went out on the bus.
    /// </summary>
    private async Task<int> ClaimWaitingAsync(CancellationToken ct)
    {
        var max = _options.MaxInFlightPerUser;
        var inFlight = await claims.InFlightAsync(null, ct);
        var now = clock.GetCurrentInstant();
        foreach (var user in _heldBack.Where(h => h.Value <= now).Select(h => h.Key).ToList()) _heldBack.Remove(user);
        // A user is refilled a quarter of the limit at a time, not one claim per poll: every read of report_db
        // costs the database a scan, and one per answered report of a flood was a fifth of its throughput.
        var gather = Math.Max(1, max / 4);
        var full = inFlight.Where(u => max - u.Value < gather).Select(u => u.Key).Concat(_heldBack.Keys).ToList();
        var waiting = await ClaimableAsync(await WaitingFairlyAsync(full, ct), ct);
        var candidates = new List<FairShare.Candidate<Waiting>>();
        foreach (var w in waiting)
        {
            // An unknown user is a group of its own: its query fails alone when answered, as it always has.
            var user = await identity.FindUserAsync(w.Tdql.UserId, ct);
            var org = FairShare.OrgOf(w.Tdql.UserId, user?.OrgHashes);
            candidates.Add(new(new Waiting(w.Doc, w.Tdql, org), w.Tdql.UserId, org));
        }
        var quotas = await orgQuotas.OfAsync(candidates.Select(c => c.Org), ct);
        var allowance = quotas.ToDictionary(q => q.Key, q => q.Value.Quota.Allowance(now));
        var picked = FairShare.Pick(candidates, inFlight, max, allowance);
        foreach (var (org, quota) in quotas)
        {
            var taken = picked.Count(p => p.Org == org);
            // Spent before the claims: a claim another watcher wins meanwhile costs the org one, never the reverse.
            if (taken > 0 && !await orgQuotas.TryTakeAsync(quota, taken, ct))
            {
                picked.RemoveAll(p => p.Org == org);
                continue;
            }
            var over = taken == allowance[org] && candidates.Count(c => c.Org == org) > taken;
            orgQuotas.Held(quota, over);
            if (!over) continue;
            var until = (quota.Quota with { Used = quota.Quota.Taking(taken, now) }).FreesAt(now);
            foreach (var c in candidates.Where(c => c.Org == org)) _heldBack[c.User] = until;
        }
        var order = picked.ToDictionary(p => p.Tdql.Hash);
        var announced = 0;
        // Published in the fair order, each step as soon as it is claimed: the queue serves them in the order they
        // are published, and a batch found after an idle wait does not hold its first query until its last is claimed.
        async Task AnnounceWonAsync(IReadOnlyList<Claim> won) => announced += await AnnounceAsync(
            won.Select(c => new Announcement(c, Reclaim: false, order[c.TdqlHash].Tdql.Timestamp)), ct);
        var batch = await claims.ClaimBatchAsync(picked.Select(p => p.Doc).ToList(), Lease, _options.ClaimParallelism, ct, AnnounceWonAsync);
        foreach (var (hash, error) in batch.Failed)
        {
            // Its lease stays unless another claim has the TDQL too (the write may have moved it): a lease alone keeps
            // it claimable, taken over or replaced once it expires.
            logger.LogWarning("Claiming TDQL {Tdql} failed ({Error}); it is claimed again once its lease expires", hash, error.GetType().Name);
        }
        foreach (var org in batch.Won.GroupBy(c => order[c.TdqlHash].Org)) metrics.OrgClaimed(org.Key, org.Count());
        return announced;
    }

    /// <summary>A waiting TDQL and the org it is counted under.</summary>
    private sealed record Waiting(BsonDocument Doc, Tdql Tdql, string Org);

    // Users of an org found at its quota, passed over in the read until the quota allows more: their backlog would
    // otherwise fill every read while nothing of it may be claimed.
    private readonly Dictionary<string, Instant> _heldBack = new(StringComparer.Ordinal);

    /// <summary>
    /// The oldest waiting TDQLs, and where one read is all of a few users' (a flood), the oldest of the users it
    /// did not reach, read again passing over those it did: a user whose backlog is refilled as fast as it is
    /// answered is never full, and would otherwise fill every read. At most <see cref="ReadRounds"/> reads.
    /// </summary>
    private async Task<List<BsonDocument>> WaitingFairlyAsync(IReadOnlyCollection<string> full, CancellationToken ct)
    {
        var passedOver = full.ToHashSet();
        var read = new Dictionary<BsonValue, BsonDocument>();
        // No user may be claimed more than the limit: a longer read only costs the database documents nobody takes.
        var limit = Math.Min(_options.ClaimBatch, _options.MaxInFlightPerUser);
        for (var round = 0; round < ReadRounds; round++)
        {
            var got = await tdqls.WaitingAsync(limit, ct, passedOver);
            foreach (var doc in got) read.TryAdd(doc["_id"], doc);
            if (got.Count < limit) break;
            // Read loosely: a document whose user is not a string is marked malformed by the claim that follows.
            var seen = got.Select(TdqlStore.UserOf).OfType<string>().Where(passedOver.Add).Count();
            if (seen == 0) break;
        }
        return read.Values.OrderBy(d => d["_id"]).ToList();
    }

    private const int ReadRounds = 4;

    /// <summary>A claim and what its metrics need once it is published.</summary>
    private sealed record Announcement(Claim Claim, bool Reclaim, double CreatedSeconds);

    // Claims made while the broker was unreachable. They keep their claim id (so the message id stays the same
    // and a late copy of a timed-out publish is a duplicate the consumers already tolerate) and their lease is
    // renewed before each retry, so no other watcher takes them over in the meantime.
    private readonly List<Announcement> _unannounced = [];

    /// <summary>Publishes in order; from the first failure on, the rest is kept for later. Returns how many went out.</summary>
    private async Task<int> AnnounceAsync(IEnumerable<Announcement> announcements, CancellationToken ct)
    {
        var sent = 0;
        foreach (var a in announcements)
        {
            if (_unannounced.Count == 0 && await TryPublishAsync(a, ct))
            {
                sent++;
                continue;
            }
            _unannounced.Add(a);
            metrics.Unannounced(1);
        }
        if (_unannounced.Count > 0) logger.LogWarning("Broker unreachable: {Count} claimed TDQLs wait to be announced", _unannounced.Count);
        return sent;
    }

    /// <summary>Announces what is left from earlier polls; true once nothing is left.</summary>
    private async Task<bool> AnnounceBacklogAsync(CancellationToken ct)
    {
        while (_unannounced.Count > 0)
        {
            var next = _unannounced[0];
            if (await claims.RenewAsync(next.Claim, Lease, ct))
            {
                if (!await TryPublishAsync(next, ct)) return false;
                logger.LogInformation("TDQL {Tdql} announced after the broker came back", next.Claim.TdqlHash);
            }
            else
            {
                logger.LogInformation("TDQL {Tdql} was taken over or finished while unannounced; dropped from the backlog", next.Claim.TdqlHash);
            }
            _unannounced.RemoveAt(0);
            metrics.Unannounced(-1);
        }
        return true;
    }

    /// <summary>
    /// Completions whose reply is still owed after their lease expired (the consumer that answered died or lost the
    /// broker before its completion went out): announced again under the answering claim's own message id, so the
    /// reply consumer sends the nonce once however many copies arrive. One that cannot be published now is announced
    /// at the next expiry.
    /// </summary>
    private async Task AnnounceOwedRepliesAsync(IReadOnlyList<OwedReply> replies, CancellationToken ct)
    {
        foreach (var r in replies)
        {
            logger.LogWarning("TDQL {Tdql} was answered but its reply is still owed; its completion is announced again", r.TdqlHash);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.PublishTimeoutSeconds));
            try
            {
                await bus.Publish(new ReportCompleted(r.TdqlHash, r.ReportId, r.Status, clock.GetCurrentInstant().ToDateTimeOffset(), r.ClaimId),
                    ctx => ctx.MessageId = MessageIds.For("completed", r.TdqlHash, r.ClaimId), timeout.Token);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Announcing the completion of TDQL {Tdql} again failed: {Error}", r.TdqlHash, e.GetType().Name);
                return;
            }
        }
    }

    private async Task<bool> TryPublishAsync(Announcement a, CancellationToken ct)
    {
        var claim = a.Claim;
        var message = new ReportRequested(claim.TdqlHash, claim.ClaimId, claim.ClaimedAt.ToDateTimeOffset(), claim.Attempt, claim.Tdql?.ToBson());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.PublishTimeoutSeconds));
        try
        {
            await bus.Publish(message, ctx => ctx.MessageId = MessageIds.For("requested", claim.TdqlHash, claim.ClaimId), timeout.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Publishing ReportRequested for TDQL {Tdql} failed: {Error}", claim.TdqlHash, e.GetType().Name);
            return false;
        }
        var lag = a.Reclaim ? TimeSpan.Zero : (claim.ClaimedAt - TahoeTime.FromEpochSeconds(a.CreatedSeconds)).ToTimeSpan();
        metrics.Claimed(a.Reclaim, lag);
        return true;
    }
}
