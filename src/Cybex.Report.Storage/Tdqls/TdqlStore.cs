using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Tdqls;

/// <summary>TDQLs and Report documents in <c>report_db</c>, written so the CYBEX-P API parses them unchanged.</summary>
public sealed class TdqlStore(MongoContext mongo) : ITdqlStore
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;
    private static readonly ProjectionDefinition<BsonDocument> WithoutId = Builders<BsonDocument>.Projection.Exclude("_id");

    public async Task<StoredTdql?> FindAsync(string hash, CancellationToken ct) =>
        await FindDocumentAsync(hash, ct) is { } doc ? StoredTdql.Parse(doc) : null;

    /// <summary>The TDQL document as stored (without <c>_id</c>), for tools that show or edit it whatever its shape.</summary>
    public Task<BsonDocument?> FindDocumentAsync(string hash, CancellationToken ct) =>
        mongo.ReportDb.Find(TdqlFilters.Of(hash)).Project(WithoutId).FirstOrDefaultAsync(ct)!;

    public Task<BsonDocument?> FindReportAsync(string reportHash, CancellationToken ct) =>
        mongo.ReportDb.Find(TdqlFilters.Reports & F.Eq("_hash", reportHash)).Project(WithoutId).FirstOrDefaultAsync(ct)!;

    /// <summary>
    /// Stores the report (D9: same content hash, latest requester's userid, timestamp and pages) with the TDQL's
    /// new child attributes, and sets report_id and status together in one update (D10).
    /// </summary>
    public async Task<bool> CompleteAsync(StoredTdql tdql, BsonDocument report, string status, CancellationToken ct)
    {
        var doc = tdql.Document;
        var reportHash = report["_hash"].AsString;
        var (updated, children) = TdqlDocuments.ReplaceChildren(doc, new Dictionary<string, BsonValue>
        {
            ["report_id"] = reportHash,
            ["status"] = status,
        });
        var set = Builders<BsonDocument>.Update
            .Set("data.report_id", updated["data"]["report_id"])
            .Set("data.status", updated["data"]["status"])
            .Set("_cref", updated["_cref"])
            .Set("_ref", updated["_ref"]);
        // One ordered bulk write, one round trip: the report and the new child attributes first, then the TDQL,
        // so the API never finds a report_id whose report is missing.
        var writes = new List<WriteModel<BsonDocument>>
        {
            new ReplaceOneModel<BsonDocument>(TdqlFilters.Reports & F.Eq("_hash", reportHash), report) { IsUpsert = true },
        };
        // Always written, never remembered: report_db may be emptied or restored under a running worker, and a
        // TDQL pointing at a child that is not there breaks the API's redo.
        writes.AddRange(children.Select(InsertIfAbsent));
        // Matching the edges as read means an API redo in the meantime (new socket, status wait) is not
        // overwritten: the watcher claims the redo and answers it afresh.
        writes.Add(new UpdateOneModel<BsonDocument>(TdqlFilters.Of(tdql.Hash) & F.Eq("_cref", doc["_cref"]) & F.Eq("_ref", doc["_ref"]), set));
        BulkWriteResult<BsonDocument> result;
        try
        {
            result = await mongo.ReportDb.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
        }
        catch (Exception e) when (IsTooLarge(e))
        {
            throw new ReportNotStorableException($"report_db refused the report: {e.Message}", e);
        }
        // Every upsert either matched or inserted; only the TDQL's compare-and-set can match nothing. Counted this way
        // it holds whether or not a write changed its document (a report rewritten with the same content).
        return result.MatchedCount + result.Upserts.Count == writes.Count;
    }

    /// <summary>As above, building the report document from an outcome (tools and tests); returns the report.</summary>
    public async Task<BsonDocument> CompleteAsync(StoredTdql tdql, ReportOutcome outcome, Instant now, CancellationToken ct)
    {
        var report = outcome.ToDocument(tdql.Tdql.QType, tdql.Tdql.UserId, now);
        await CompleteAsync(tdql, report, outcome.Status, ct);
        return report;
    }

    // BSONObjectTooLarge, and too large after update: the same document never fits.
    private static bool IsTooLarge(Exception e) =>
        e is MongoWriteException { WriteError.Code: 10334 or 17419 }
        || e is MongoBulkWriteException b && b.WriteErrors.Any(w => w.Code is 10334 or 17419);

    /// <summary>A content-addressed document written once: later writes of the same hash change nothing.</summary>
    public static WriteModel<BsonDocument> InsertIfAbsent(BsonDocument doc) =>
        new UpdateOneModel<BsonDocument>(F.Eq("_hash", doc["_hash"].AsString), new BsonDocument("$setOnInsert", doc)) { IsUpsert = true };

    /// <summary>As below, writing the status child too; true when the TDQL was moved.</summary>
    public async Task<bool> TrySetStatusAsync(BsonDocument tdqlDoc, string status, FilterDefinition<BsonDocument> condition, CancellationToken ct) =>
        await TrySetStatusAsync(tdqlDoc, status, condition, withChildren: true, ct) is not null;

    /// <summary>
    /// Moves a TDQL to another status the way the API's TAHOE edit does (new status child, edges swapped), as a
    /// compare-and-set: only if it still has the edges it was read with and matches <paramref name="condition"/>.
    /// Returns the TDQL as edited, or null when it had changed.
    /// </summary>
    /// <param name="withChildren">False when the caller has just written the status child in the same moment (a batch).</param>
    public async Task<BsonDocument?> TrySetStatusAsync(BsonDocument tdqlDoc, string status, FilterDefinition<BsonDocument> condition, bool withChildren, CancellationToken ct)
    {
        var (updated, children) = TdqlDocuments.ReplaceChildren(tdqlDoc, new Dictionary<string, BsonValue> { ["status"] = status });
        var filter = TdqlFilters.Of(tdqlDoc["_hash"].AsString) & condition & F.Eq("_cref", tdqlDoc["_cref"]) & F.Eq("_ref", tdqlDoc["_ref"]);
        // The very document that was read, where it is known: a copy under the same hash is not this TDQL.
        if (tdqlDoc.TryGetValue("_id", out var id)) filter &= F.Eq("_id", id);
        var update = Builders<BsonDocument>.Update
            .Set("data.status", updated["data"]["status"]).Set("_cref", updated["_cref"]).Set("_ref", updated["_ref"]);
        // One ordered round trip: the status child first (so the TDQL never points at a missing one), then the
        // compare-and-set. The child upsert never counts as modified, so the TDQL's update alone decides.
        var writes = (withChildren ? children.Select(InsertIfAbsent) : []).Append(new UpdateOneModel<BsonDocument>(filter, update));
        var result = await mongo.ReportDb.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
        return result.ModifiedCount == 1 ? updated : null;
    }

    /// <summary>
    /// The TDQL of a hash and which of the other documents report_db holds already, in one read: what TAHOE's
    /// dedup-on-construct looks up before it writes, for one scan of report_db instead of one per document.
    /// </summary>
    /// <exception cref="MalformedTdqlException">The TDQL is there but not in the API's shape.</exception>
    public async Task<(StoredTdql? Tdql, IReadOnlySet<string> Present)> FindWithAsync(string hash, IEnumerable<string> others, CancellationToken ct)
    {
        var docs = await mongo.ReportDb.Find(TdqlFilters.Of(hash) | F.In("_hash", others)).Project(WithoutId).ToListAsync(ct);
        var tdql = docs.FirstOrDefault(d => d.GetValue("_hash", BsonNull.Value) == hash && d.GetValue("itype", BsonNull.Value) == "object"
            && d.GetValue("sub_type", BsonNull.Value) == "query" && !d.Contains(TdqlFilters.MalformedField));
        var present = docs.Where(d => d.GetValue("_hash", BsonNull.Value).IsString).Select(d => d["_hash"].AsString).ToHashSet();
        return (tdql is null ? null : StoredTdql.Parse(tdql), present);
    }

    /// <summary>
    /// Writes a TDQL and the children the caller found absent (<see cref="FindWithAsync"/>), the TDQL only if no
    /// TDQL of its hash exists yet. The children are inserted, as TAHOE inserts what it did not find: a writer racing
    /// to store the same new child may leave a second copy of it, as two API processes may. True when this call
    /// created the TDQL.
    /// </summary>
    public async Task<bool> InsertTdqlIfAbsentAsync(BsonDocument tdql, IEnumerable<BsonDocument> absentChildren, CancellationToken ct)
    {
        var writes = absentChildren.Select(c => (WriteModel<BsonDocument>)new InsertOneModel<BsonDocument>(c)).ToList();
        writes.Add(new UpdateOneModel<BsonDocument>(TdqlFilters.Of(tdql["_hash"].AsString), new BsonDocument("$setOnInsert", tdql)) { IsUpsert = true });
        var result = await mongo.ReportDb.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
        return result.Upserts.Any(u => u.Index == writes.Count - 1);
    }

    /// <summary>Writes a TDQL and its children as the API does (used by the CLI, replay and tests).</summary>
    public async Task InsertTdqlAsync(BsonDocument tdql, IEnumerable<BsonDocument> children, CancellationToken ct)
    {
        var writes = children.Select(InsertIfAbsent)
            .Append(new ReplaceOneModel<BsonDocument>(TdqlFilters.Of(tdql["_hash"].AsString), tdql) { IsUpsert = true });
        await mongo.ReportDb.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
    }

    /// <summary>The user a TDQL document is for, read loosely (null when it is not a string): for grouping, never for answering.</summary>
    public static string? UserOf(BsonDocument tdql) =>
        tdql.GetValue("data", BsonNull.Value) is BsonDocument data && data.GetValue("userid", BsonNull.Value) is BsonArray { Count: > 0 } user && user[0].IsString
            ? user[0].AsString
            : null;

    /// <summary>TDQLs whose status is <c>wait</c>, oldest first, with their <c>_id</c> (duplicates of one hash differ only there).</summary>
    /// <param name="exceptUsers">Users whose TDQLs are passed over (those with as many claims in flight as they may have).</param>
    public async Task<List<BsonDocument>> WaitingAsync(int limit, CancellationToken ct, IReadOnlyCollection<string>? exceptUsers = null) =>
        await mongo.ReportDb.Find(exceptUsers is { Count: > 0 } ? TdqlFilters.Waiting & F.Nin("data.userid", exceptUsers) : TdqlFilters.Waiting)
            .Sort(Builders<BsonDocument>.Sort.Ascending("_id")).Limit(limit).ToListAsync(ct);

    /// <summary>
    /// The <c>_id</c> of the oldest answerable document of each hash. Two documents may share a hash (a restore, a
    /// second writer): only the oldest is the TDQL; the other copies would otherwise be answered, or claimed, too.
    /// </summary>
    public async Task<Dictionary<string, BsonValue>> OldestIdsAsync(IReadOnlyCollection<string> hashes, CancellationToken ct)
    {
        var docs = await mongo.ReportDb.Find(TdqlFilters.Among(hashes)).Project(Builders<BsonDocument>.Projection.Include("_hash")).ToListAsync(ct);
        return docs.Where(d => d["_hash"].IsString).GroupBy(d => d["_hash"].AsString).ToDictionary(g => g.Key, g => g.Min(d => d["_id"])!);
    }

    /// <summary>Moves a waiting TDQL to processing without a lease, for tools that hold none (conformance); false when it had changed.</summary>
    public Task<bool> TryClaimAsync(BsonDocument waiting, CancellationToken ct) =>
        TrySetStatusAsync(waiting, Tdql.StatusProcessing, F.Eq("data.status", Tdql.StatusWait), ct);

    /// <summary>Marks one TDQL document (by <c>_id</c>: its hash may be the broken part) that nobody can answer; it stays for an operator.</summary>
    public Task MarkMalformedAsync(BsonValue id, string reason, CancellationToken ct) =>
        mongo.ReportDb.UpdateOneAsync(F.Eq("_id", id), Builders<BsonDocument>.Update.Set(TdqlFilters.MalformedField, reason), cancellationToken: ct);
}
