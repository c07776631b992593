using Cybex.Report.Tahoe.Documents;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage;

/// <summary>A claimed TDQL and the lease that keeps it.</summary>
public sealed record Claim(string TdqlHash, Guid ClaimId, Instant ClaimedAt, int Attempt);

/// <summary>
/// Claims waiting TDQLs for the watcher (D13). The claim itself is a single-document compare-and-set on the
/// TDQL (status wait → processing, child edges swapped as the API's TAHOE edit would); the lease that lets
/// another watcher take over after a crash lives in its own collection, out of the API's sight.
/// </summary>
public sealed class ClaimStore(MongoContext mongo, IClock clock)
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    /// <summary>Hashes of TDQLs whose status is <c>wait</c>, oldest first.</summary>
    public async Task<List<BsonDocument>> WaitingAsync(int limit, CancellationToken ct) =>
        await mongo.Reports.Find(F.Eq("itype", "object") & F.Eq("sub_type", "query") & F.Eq("data.status", Tdql.StatusWait) & F.Exists(MalformedField, false))
            .Sort(Builders<BsonDocument>.Sort.Ascending("_id"))
            .Limit(limit)
            .Project(Builders<BsonDocument>.Projection.Exclude("_id"))
            .ToListAsync(ct);

    /// <summary>Set on a TDQL that is not in the API's shape, so the watcher stops picking it up.</summary>
    public const string MalformedField = "_cybex_malformed";

    private readonly ReportStore _reports = new(mongo);

    /// <summary>Marks a TDQL nobody can answer; it stays for an operator to inspect.</summary>
    public Task MarkMalformedAsync(string hash, string reason, CancellationToken ct) =>
        mongo.Reports.UpdateOneAsync(ReportStore.TdqlFilter(hash), Builders<BsonDocument>.Update.Set(MalformedField, reason), cancellationToken: ct);

    /// <summary>
    /// Claims a batch of waiting TDQLs. The leases are written first and the claims made after: a watcher that
    /// dies in between leaves leases that expire, never a TDQL in <c>processing</c> without one. Leases of
    /// claims lost to another watcher (or an API redo) are removed again.
    /// </summary>
    public async Task<List<Claim>> ClaimBatchAsync(IReadOnlyList<BsonDocument> waiting, Duration lease, int parallelism, CancellationToken ct)
    {
        if (waiting.Count == 0) return [];
        var now = clock.GetCurrentInstant();
        var intents = waiting.Select(w => (Doc: w, Claim: new Claim(w["_hash"].AsString, Guid.NewGuid(), now, 1))).ToList();
        await mongo.Leases.InsertManyAsync(intents.Select(i => LeaseDocument(i.Claim, lease)), new InsertManyOptions { IsOrdered = false }, ct);
        var won = new System.Collections.Concurrent.ConcurrentBag<Claim>();
        await Parallel.ForEachAsync(intents, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (intent, token) =>
        {
            if (await TryClaimAsync(intent.Doc, token)) won.Add(intent.Claim);
        });
        var lost = intents.Select(i => i.Claim).Except(won).Select(c => c.ClaimId.ToString("N")).ToList();
        if (lost.Count > 0) await mongo.Leases.DeleteManyAsync(F.In("claim", lost), ct);
        return won.ToList();
    }

    private static BsonDocument LeaseDocument(Claim c, Duration lease) => new()
    {
        { "tdql", c.TdqlHash }, { "claim", c.ClaimId.ToString("N") }, { "claimed", c.ClaimedAt.ToDateTimeUtc() },
        { "expires", (c.ClaimedAt + lease).ToDateTimeUtc() }, { "attempt", c.Attempt },
    };

    /// <summary>
    /// The claim itself: a compare-and-set of the TDQL's status from wait to processing. False when another
    /// watcher or an API redo got there first.
    /// </summary>
    public Task<bool> TryClaimAsync(BsonDocument waiting, CancellationToken ct) =>
        _reports.TrySetStatusAsync(waiting, Tdql.StatusProcessing, F.Eq("data.status", Tdql.StatusWait), ct);

    /// <summary>
    /// Extends the lease of a claim still held by the caller. False when it is no longer theirs (another watcher
    /// took it over after expiry, or the TDQL finished and its lease was dropped).
    /// </summary>
    public async Task<bool> RenewAsync(Claim claim, Duration lease, CancellationToken ct)
    {
        var renewed = await mongo.Leases.UpdateOneAsync(
            F.Eq("tdql", claim.TdqlHash) & F.Eq("claim", claim.ClaimId.ToString("N")),
            Builders<BsonDocument>.Update.Set("expires", (clock.GetCurrentInstant() + lease).ToDateTimeUtc()),
            cancellationToken: ct);
        return renewed.MatchedCount == 1;
    }

    /// <summary>Leases past their expiry, oldest first.</summary>
    public Task<List<BsonDocument>> ExpiredLeasesAsync(int limit, CancellationToken ct) =>
        mongo.Leases.Find(F.Lt("expires", clock.GetCurrentInstant().ToDateTimeUtc()))
            .Sort(Builders<BsonDocument>.Sort.Ascending("expires")).Limit(limit).ToListAsync(ct);

    /// <summary>
    /// Handles expired leases: those whose TDQL finished are dropped; a TDQL still processing with no live
    /// lease is taken over (one compare-and-set on one of its leases) and returned to be published again.
    /// </summary>
    public async Task<List<Claim>> ReclaimExpiredAsync(int limit, Duration lease, CancellationToken ct)
    {
        var expired = await ExpiredLeasesAsync(limit, ct);
        if (expired.Count == 0) return [];
        var now = clock.GetCurrentInstant();
        var hashes = expired.Select(l => l["tdql"].AsString).Distinct().ToList();
        var tdqls = await mongo.Reports.Find(F.Eq("itype", "object") & F.Eq("sub_type", "query") & F.In("_hash", hashes))
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("data.status").Exclude("_id")).ToListAsync(ct);
        var processing = tdqls.Where(t => t["data"]["status"].AsBsonArray.Contains(Tdql.StatusProcessing)).Select(t => t["_hash"].AsString).ToHashSet();
        var done = hashes.Where(h => !processing.Contains(h)).ToList();
        if (done.Count > 0) await mongo.Leases.DeleteManyAsync(F.In("tdql", done), ct);
        // A TDQL claimed again since (an API redo) has a live lease of its own and is left alone.
        var live = (await mongo.Leases.Find(F.In("tdql", processing) & F.Gte("expires", now.ToDateTimeUtc()))
            .Project(Builders<BsonDocument>.Projection.Include("tdql").Exclude("_id")).ToListAsync(ct)).Select(l => l["tdql"].AsString).ToHashSet();

        var claims = new List<Claim>();
        foreach (var l in expired.Where(l => processing.Contains(l["tdql"].AsString) && !live.Contains(l["tdql"].AsString)).DistinctBy(l => l["tdql"].AsString))
        {
            var claimId = Guid.NewGuid();
            var attempt = l.GetValue("attempt", 1).ToInt32() + 1;
            var taken = await mongo.Leases.UpdateOneAsync(
                F.Eq("_id", l["_id"]) & F.Eq("claim", l["claim"]),
                Builders<BsonDocument>.Update.Set("claim", claimId.ToString("N")).Set("claimed", now.ToDateTimeUtc())
                    .Set("expires", (now + lease).ToDateTimeUtc()).Set("attempt", attempt),
                cancellationToken: ct);
            if (taken.ModifiedCount == 1) claims.Add(new Claim(l["tdql"].AsString, claimId, now, attempt));
        }
        return claims;
    }

    /// <summary>Queries by status and the number of leases past expiry, for the status command and health.</summary>
    public async Task<(Dictionary<string, long> ByStatus, long ExpiredLeases)> SummaryAsync(CancellationToken ct)
    {
        var docs = await mongo.Reports.Find(F.Eq("itype", "object") & F.Eq("sub_type", "query"))
            .Project(Builders<BsonDocument>.Projection.Include("data.status").Exclude("_id")).ToListAsync(ct);
        var byStatus = docs.GroupBy(d => d["data"]["status"][0].AsString).ToDictionary(g => g.Key, g => g.LongCount());
        var expired = await mongo.Leases.CountDocumentsAsync(F.Lt("expires", clock.GetCurrentInstant().ToDateTimeUtc()), cancellationToken: ct);
        return (byStatus, expired);
    }
}
