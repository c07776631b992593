using System.Collections.Concurrent;
using Cybex.Report.Domain;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage.Tdqls;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>
/// Claims waiting TDQLs for the watcher (D13). The claim itself is a single-document compare-and-set on the
/// TDQL (status wait → processing, child edges swapped as the API's TAHOE edit would); the lease that lets
/// another watcher take over after a crash lives in its own collection, out of the API's sight. The lease's claim
/// id is what every later step checks: a message of another claim is stale.
/// </summary>
public sealed class ClaimStore(MongoContext mongo, IClock clock, ILeaseWriter leaseWriter)
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    public ClaimStore(MongoContext mongo, IClock clock) : this(mongo, clock, new MongoLeaseWriter(mongo))
    {
    }

    /// <summary>TDQLs whose status is <c>wait</c>, oldest first, with their <c>_id</c> (duplicates of one hash differ only there).</summary>
    public async Task<List<BsonDocument>> WaitingAsync(int limit, CancellationToken ct) =>
        await mongo.ReportDb.Find(TdqlFilters.Waiting)
            .Sort(Builders<BsonDocument>.Sort.Ascending("_id"))
            .Limit(limit)
            .ToListAsync(ct);

    private readonly TdqlStore _tdqls = new(mongo);

    /// <summary>
    /// The <c>_id</c> of the oldest answerable document of each hash. Two documents may share a hash (a restore, a
    /// second writer): only the oldest is the TDQL; the other copies would otherwise be answered, or claimed, too.
    /// </summary>
    public async Task<Dictionary<string, BsonValue>> OldestIdsAsync(IReadOnlyCollection<string> hashes, CancellationToken ct)
    {
        var docs = await mongo.ReportDb.Find(TdqlFilters.Among(hashes))
            .Project(Builders<BsonDocument>.Projection.Include("_hash")).ToListAsync(ct);
        return docs.Where(d => d["_hash"].IsString).GroupBy(d => d["_hash"].AsString).ToDictionary(g => g.Key, g => g.Min(d => d["_id"])!);
    }

    /// <summary>Names the waiting state a claim is for: the TDQL's edges change with every redo, requeue and claim.</summary>
    public static string Fingerprint(BsonDocument tdql) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.ASCII.GetBytes(string.Join(",", tdql["_ref"].AsBsonArray.Select(v => v.AsString)))))[..32];

    /// <summary>
    /// Claims a batch of waiting, well-formed TDQLs (distinct hashes). The leases are written first and the claims
    /// made after: a watcher that dies in between leaves leases that expire, never a TDQL in <c>processing</c>
    /// without one. Each claim stands alone: one whose lease is held elsewhere is skipped, one that fails is
    /// reported, and the leases of claims lost or failed are removed again.
    /// </summary>
    public async Task<ClaimBatch> ClaimBatchAsync(IReadOnlyList<BsonDocument> waiting, Duration lease, int parallelism, CancellationToken ct) =>
        await ClaimBatchAsync(waiting, Tdql.StatusWait, lease, parallelism, ct);

    /// <summary>As above, from another status than <c>wait</c>: a bus query is stored <c>invalid</c> (the API's
    /// construction default) and claimed from there, so no watcher takes it in between.</summary>
    public async Task<ClaimBatch> ClaimBatchAsync(IReadOnlyList<BsonDocument> waiting, string fromStatus, Duration lease, int parallelism, CancellationToken ct)
    {
        if (waiting.Count == 0) return new ClaimBatch([], []);
        var now = clock.GetCurrentInstant();
        var intents = waiting.Select(w => (Doc: w, Lease: new LeaseIntent(new Claim(w["_hash"].AsString, Guid.NewGuid(), now, 1), Fingerprint(w), now + lease))).ToList();
        var leased = await leaseWriter.TryWriteAsync(intents.Select(i => i.Lease).ToList(), now, ct);
        var won = new ConcurrentBag<Claim>();
        var failed = new ConcurrentBag<(string, Exception)>();
        async Task<bool> ClaimOneAsync((BsonDocument Doc, LeaseIntent Lease) intent, bool withChild, CancellationToken token)
        {
            try
            {
                if (await _tdqls.TrySetStatusAsync(intent.Doc, Tdql.StatusProcessing, F.Eq("data.status", fromStatus), withChild, token) is { } claimed)
                {
                    won.Add(intent.Lease.Claim with { Tdql = claimed });
                }
                return true;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                failed.Add((intent.Lease.Claim.TdqlHash, e));
                return false;
            }
        }
        // The processing child is the same document for every TDQL: the first claim writes it, the rest of the
        // batch only swaps edges (one scan of report_db each instead of two).
        var toClaim = intents.Where((_, n) => leased[n]).ToList();
        var childWritten = toClaim.Count > 0 && await ClaimOneAsync(toClaim[0], withChild: true, ct);
        await Parallel.ForEachAsync(toClaim.Skip(1), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (intent, token) => await ClaimOneAsync(intent, withChild: !childWritten, token));
        var wonIds = won.Select(c => c.ClaimId).ToHashSet();
        var lost = toClaim.Select(i => i.Lease.Claim.ClaimId).Where(id => !wonIds.Contains(id)).Select(Leases.Id).ToList();
        if (lost.Count > 0) await mongo.Leases.DeleteManyAsync(F.In(Leases.ClaimId, lost), ct);
        return new ClaimBatch(won.ToList(), failed.ToList());
    }

    /// <summary>
    /// Claims a TDQL that does not exist yet by writing it already <c>processing</c>: the lease first (as for any
    /// claim), then the TDQL only if no TDQL of its hash appeared meanwhile, with the children the caller found absent.
    /// Null, with the lease removed, when one did.
    /// </summary>
    public async Task<Claim?> ClaimNewAsync(BsonDocument processing, IEnumerable<BsonDocument> absentChildren, Duration lease, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var claim = new Claim(processing["_hash"].AsString, Guid.NewGuid(), now, 1);
        if (!(await leaseWriter.TryWriteAsync([new LeaseIntent(claim, Fingerprint(processing), now + lease)], now, ct))[0]) return null;
        if (await _tdqls.InsertTdqlIfAbsentAsync(processing, absentChildren, ct)) return claim with { Tdql = processing };
        await ReleaseAsync(claim.TdqlHash, claim.ClaimId, ct);
        return null;
    }

    /// <summary>
    /// The claim itself: a compare-and-set of the TDQL's status from wait to processing. False when another
    /// watcher or an API redo got there first.
    /// </summary>
    public async Task<bool> TryClaimAsync(BsonDocument waiting, CancellationToken ct) =>
        await _tdqls.TrySetStatusAsync(waiting, Tdql.StatusProcessing, F.Eq("data.status", Tdql.StatusWait), withChildren: true, ct) is not null;

    /// <summary>
    /// Extends the lease of a claim still held by the caller. False when it is no longer theirs (another watcher
    /// took it over after expiry, or the TDQL finished and its lease was dropped).
    /// </summary>
    public Task<bool> RenewAsync(Claim claim, Duration lease, CancellationToken ct) => RenewAsync(claim.TdqlHash, claim.ClaimId, lease, ct);

    /// <summary>
    /// Only the expiry: the watcher renews claims it could not announce yet, and work under them has not begun, so
    /// the lease must not be marked started (that is <see cref="HoldAsync"/>'s, when a consumer begins).
    /// </summary>
    public async Task<bool> RenewAsync(string tdql, Guid claim, Duration lease, CancellationToken ct) =>
        (await mongo.Leases.UpdateOneAsync(Leases.Of(tdql, claim),
            Builders<BsonDocument>.Update.Set(Leases.Expires, (clock.GetCurrentInstant() + lease).ToDateTimeUtc()), cancellationToken: ct)).MatchedCount == 1;

    /// <summary>
    /// Begins work under <paramref name="claim"/>: renews its lease and marks it started, if it is still the lease
    /// of the TDQL; null when it is not (stale or foreign: taken over by another claim, finished, or never made). A
    /// lease past its expiry that nobody took over yet is still the claim's: should the watcher take it over in the
    /// same moment, the commit check (<see cref="MarkAnsweredAsync"/>) stops this claim from writing.
    /// </summary>
    public async Task<HeldLease?> HoldAsync(string tdql, Guid claim, Duration lease, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var held = await mongo.Leases.FindOneAndUpdateAsync(
            Leases.Of(tdql, claim),
            Builders<BsonDocument>.Update.Set(Leases.Expires, (now + lease).ToDateTimeUtc()).Set(Leases.Started, true),
            new FindOneAndUpdateOptions<BsonDocument> { Projection = Builders<BsonDocument>.Projection.Include(Leases.Attempt).Include(Leases.LastError).Include(Leases.Answered) },
            ct);
        if (held is null) return null;
        var error = held.GetValue(Leases.LastError, BsonNull.Value);
        return new HeldLease(held.GetValue(Leases.Attempt, 1).ToInt32(), error.IsString ? error.AsString : null, held.GetValue(Leases.Answered, false) == true);
    }

    /// <summary>
    /// Marks the claim's report as about to be stored, renewing the lease once more: the last check that the claim
    /// is still this caller's before anything is written. The mark is the reply's ticket (see <see cref="TakeReplyAsync"/>).
    /// </summary>
    public async Task<bool> MarkAnsweredAsync(string tdql, Guid claim, Duration lease, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var marked = await mongo.Leases.UpdateOneAsync(
            Leases.Of(tdql, claim),
            Builders<BsonDocument>.Update.Set(Leases.Answered, true).Set(Leases.Expires, (now + lease).ToDateTimeUtc()),
            cancellationToken: ct);
        return marked.MatchedCount == 1;
    }

    /// <summary>What <see cref="TakeReplyAsync"/> found.</summary>
    public enum ReplyTake
    {
        /// <summary>The reply is the caller's to send; <see cref="ReplyDoneAsync"/> when it is sent or given up.</summary>
        Taken,

        /// <summary>Another delivery is sending it right now (or died doing so less than the grace ago).</summary>
        Sending,

        /// <summary>Nothing to send: already sent, superseded, or never answered.</summary>
        Gone,
    }

    /// <summary>
    /// Takes the one reply an answered claim is owed, marking it as being sent. A mark older than
    /// <paramref name="sendingGrace"/> (longer than any send may take) belongs to a delivery whose process died
    /// mid-send, and is taken over: so a reply is sent at most once while its sender lives, and still sent when it
    /// does not.
    /// </summary>
    public async Task<ReplyTake> TakeReplyAsync(string tdql, Guid claim, Duration sendingGrace, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var taken = await mongo.Leases.UpdateOneAsync(
            Leases.Of(tdql, claim) & F.Eq(Leases.Answered, true) & (F.Exists(Leases.Sending, false) | F.Lt(Leases.Sending, (now - sendingGrace).ToDateTimeUtc())),
            Builders<BsonDocument>.Update.Set(Leases.Sending, now.ToDateTimeUtc()),
            cancellationToken: ct);
        if (taken.MatchedCount == 1) return ReplyTake.Taken;
        return await mongo.Leases.Find(Leases.Of(tdql, claim) & F.Eq(Leases.Answered, true)).AnyAsync(ct) ? ReplyTake.Sending : ReplyTake.Gone;
    }

    /// <summary>The reply is sent or given up: the claim's lease is dropped, and with it every later take.</summary>
    public Task ReplyDoneAsync(string tdql, Guid claim, CancellationToken ct) => mongo.Leases.DeleteOneAsync(Leases.Of(tdql, claim), ct);

    /// <summary>Records a reply given up because the API had gone, for operators (<c>cybex-report status</c>).</summary>
    public Task RecordUndeliveredAsync(string tdql, string host, int port, string failure, CancellationToken ct) =>
        mongo.UndeliveredReplies.InsertOneAsync(new BsonDocument
        {
            { "tdql", tdql }, { "host", host }, { "port", port }, { "failure", failure }, { "at", clock.GetCurrentInstant().ToDateTimeUtc() },
        }, cancellationToken: ct);

    /// <summary>Keeps why an attempt failed on its lease, so the attempt that gives up can say it.</summary>
    public Task RecordErrorAsync(string tdql, Guid claim, string error, CancellationToken ct) =>
        mongo.Leases.UpdateOneAsync(Leases.Of(tdql, claim), Builders<BsonDocument>.Update.Set(Leases.LastError, error), cancellationToken: ct);

    /// <summary>Drops the lease of a claim that ends without a reply (a TDQL that turned out malformed).</summary>
    public Task ReleaseAsync(string tdql, Guid claim, CancellationToken ct) => mongo.Leases.DeleteOneAsync(Leases.Of(tdql, claim), ct);

    /// <summary>Drops every lease of a TDQL (an operator's requeue supersedes whatever claim it had).</summary>
    public Task ReleaseAllAsync(IEnumerable<string> tdqls, CancellationToken ct) => mongo.Leases.DeleteManyAsync(F.In(Leases.Tdql, tdqls), ct);

    /// <summary>
    /// How long after its claim an answered lease is kept while its reply is owed: the watcher announces the
    /// completion again each time the lease expires (a completion lost with a crashed or cut-off consumer), then
    /// gives up. Far past the API's 5 s wait, but a client that waits longer still gets its nonce.
    /// </summary>
    public static Duration AnsweredGrace(Duration lease) => Duration.Max(lease * 10, Duration.FromMinutes(2));

    /// <summary>Leases past their expiry, oldest first.</summary>
    public Task<List<BsonDocument>> ExpiredLeasesAsync(int limit, CancellationToken ct) =>
        mongo.Leases.Find(Leases.ExpiredAt(clock.GetCurrentInstant()))
            .Sort(Builders<BsonDocument>.Sort.Ascending(Leases.Expires)).Limit(limit).ToListAsync(ct);

    /// <summary>
    /// Handles expired leases. A TDQL still processing with no live lease is taken over (one compare-and-set on
    /// one of its leases) and returned to be published again; the attempt counts on only when work had begun under
    /// the expired claim (a request that merely waited in a long queue has not failed). A finished TDQL's lease is
    /// dropped, unless its claim answered and the reply is still owed: then its completion is returned to be
    /// announced again (and the lease renewed), until <see cref="AnsweredGrace"/> has passed.
    /// </summary>
    public async Task<Reclaimed> ReclaimExpiredAsync(int limit, Duration lease, CancellationToken ct)
    {
        var expired = await ExpiredLeasesAsync(limit, ct);
        if (expired.Count == 0) return new Reclaimed([], []);
        var now = clock.GetCurrentInstant();
        var hashes = expired.Select(l => l[Leases.Tdql].ToString()!).Distinct().ToList();
        var tdqls = (await mongo.ReportDb.Find(TdqlFilters.Among(hashes))
                .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("data.status").Include("data.report_id").Exclude("_id")).ToListAsync(ct))
            .Where(t => t["_hash"].IsString).GroupBy(t => t["_hash"].AsString).ToDictionary(g => g.Key, g => g.First());
        string? First(string hash, string key) =>
            tdqls.TryGetValue(hash, out var t) && t["data"].AsBsonDocument.GetValue(key, BsonNull.Value) is BsonArray { Count: > 0 } a && a[0].IsString ? a[0].AsString : null;
        var processing = hashes.Where(h => First(h, "status") == Tdql.StatusProcessing).ToHashSet();
        static FilterDefinition<BsonDocument> AsRead(BsonDocument l) => F.Eq("_id", l["_id"]) & F.Eq(Leases.ClaimId, l[Leases.ClaimId]) & F.Eq(Leases.Expires, l[Leases.Expires]);

        var owed = new List<OwedReply>();
        var stale = new List<FilterDefinition<BsonDocument>>();
        foreach (var l in expired.Where(l => !processing.Contains(l[Leases.Tdql].ToString()!)))
        {
            var hash = l[Leases.Tdql].ToString()!;
            var answered = l.GetValue(Leases.Answered, false) == true && First(hash, "status") is Tdql.StatusReady or Tdql.StatusFailed && First(hash, "report_id") is { Length: > 0 };
            var claimed = l.GetValue(Leases.Claimed, BsonNull.Value) is BsonDateTime c ? Instant.FromDateTimeUtc(c.ToUniversalTime()) : Instant.MinValue;
            if (answered && now - claimed < AnsweredGrace(lease) && Guid.TryParse(l[Leases.ClaimId].ToString(), out var claimId))
            {
                var renewed = await mongo.Leases.UpdateOneAsync(AsRead(l), Builders<BsonDocument>.Update.Set(Leases.Expires, (now + lease).ToDateTimeUtc()), cancellationToken: ct);
                if (renewed.ModifiedCount == 1) owed.Add(new OwedReply(hash, claimId, First(hash, "report_id")!, First(hash, "status")!));
                continue;
            }
            // Each as read: a lease renewed or re-used since is not this one any more.
            stale.Add(AsRead(l));
        }
        if (stale.Count > 0) await mongo.Leases.DeleteManyAsync(F.Or(stale), ct);
        // A TDQL claimed again since (an API redo) has a live lease of its own and is left alone.
        var live = (await mongo.Leases.Find(F.In(Leases.Tdql, processing) & F.Gte(Leases.Expires, now.ToDateTimeUtc()))
            .Project(Builders<BsonDocument>.Projection.Include(Leases.Tdql).Exclude("_id")).ToListAsync(ct)).Select(l => l[Leases.Tdql].AsString).ToHashSet();

        var claims = new List<Claim>();
        foreach (var l in expired.Where(l => processing.Contains(l[Leases.Tdql].ToString()!) && !live.Contains(l[Leases.Tdql].AsString)).DistinctBy(l => l[Leases.Tdql].AsString))
        {
            var claimId = Guid.NewGuid();
            var attempt = (l.GetValue(Leases.Attempt, 1) is { IsNumeric: true } a ? a.ToInt32() : 1)
                + (l.GetValue(Leases.Started, true) is BsonBoolean { Value: false } ? 0 : 1);
            var taken = await mongo.Leases.UpdateOneAsync(
                F.Eq("_id", l["_id"]) & F.Eq(Leases.ClaimId, l[Leases.ClaimId]),
                Builders<BsonDocument>.Update.Set(Leases.ClaimId, Leases.Id(claimId)).Set(Leases.Claimed, now.ToDateTimeUtc())
                    .Set(Leases.Expires, (now + lease).ToDateTimeUtc()).Set(Leases.Attempt, attempt).Set(Leases.Started, false).Set(Leases.Answered, false)
                    .Unset(Leases.Sending),
                cancellationToken: ct);
            if (taken.ModifiedCount == 1) claims.Add(new Claim(l[Leases.Tdql].AsString, claimId, now, attempt));
        }
        return new Reclaimed(claims, owed);
    }

    /// <summary>Queries by status (malformed ones apart), leases past expiry and replies given up, for the status command and health.</summary>
    private const int OldestAmong = 10;

    private static Instant? WrittenAt(BsonDocument doc)
    {
        try
        {
            return TahoeTime.FromEpochSeconds(Tdql.Parse(doc).Timestamp);
        }
        catch (Exception e) when (e is TahoeFormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    public async Task<ReportDbSummary> SummaryAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var docs = await mongo.ReportDb.Find(TdqlFilters.Any)
            .Project(Builders<BsonDocument>.Projection.Include("data.status").Include(TdqlFilters.MalformedField).Exclude("_id")).ToListAsync(ct);
        // Any document may sit here (a TDQL is hostile input): one without a data object or a status list is "?", not a crash.
        var byStatus = docs.GroupBy(d => d.Contains(TdqlFilters.MalformedField) ? "malformed"
                : d.GetValue("data", BsonNull.Value) is BsonDocument data && data.GetValue("status", BsonNull.Value) is BsonArray { Count: > 0 } s ? s[0].ToString()! : "?")
            .ToDictionary(g => g.Key, g => g.LongCount());
        var expired = await mongo.Leases.CountDocumentsAsync(Leases.ExpiredAt(now), cancellationToken: ct);
        var undelivered = await mongo.UndeliveredReplies.CountDocumentsAsync(F.Empty, cancellationToken: ct);
        var recent = await mongo.ReportDb.Find(TdqlFilters.Reports & F.Gte("timestamp", TahoeTime.ToEpochSeconds(now - Duration.FromMinutes(1))))
            .Project(Builders<BsonDocument>.Projection.Include("sub_type").Exclude("_id")).ToListAsync(ct);
        var lastMinute = recent.GroupBy(r => r.GetValue("sub_type", "?").ToString()!).ToDictionary(g => g.Key, g => g.LongCount());
        // The oldest waiting document that is a TDQL with a time: a broken one is marked malformed by the watcher's
        // next poll and must not hide the real oldest meanwhile.
        var oldestAt = (await WaitingAsync(OldestAmong, ct)).Select(WrittenAt).FirstOrDefault(t => t is not null);
        return new ReportDbSummary(byStatus, expired, undelivered, lastMinute, oldestAt, now);
    }
}
