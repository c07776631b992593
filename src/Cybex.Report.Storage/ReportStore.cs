using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Tahoe.Reports;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage;

/// <summary>TDQLs and Report documents in <c>report_db</c>, written so the CYBEX-P API parses them unchanged.</summary>
public sealed class ReportStore(MongoContext mongo)
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    /// <summary>Every TDQL document, answerable or not.</summary>
    public static readonly FilterDefinition<BsonDocument> AnyTdql = F.Eq("itype", "object") & F.Eq("sub_type", "query");

    /// <summary>The TDQL of a hash; a document marked malformed (a broken or duplicate copy) is never it.</summary>
    public static FilterDefinition<BsonDocument> TdqlFilter(string hash) => AnyTdql & F.Eq("_hash", hash) & F.Exists(Claims.ClaimStore.MalformedField, false);

    public Task<BsonDocument?> FindTdqlAsync(string hash, CancellationToken ct) =>
        mongo.Reports.Find(TdqlFilter(hash)).Project(Builders<BsonDocument>.Projection.Exclude("_id")).FirstOrDefaultAsync(ct)!;

    public Task<BsonDocument?> FindReportAsync(string hash, CancellationToken ct) =>
        mongo.Reports.Find(F.Eq("itype", "report") & F.Eq("_hash", hash)).Project(Builders<BsonDocument>.Projection.Exclude("_id")).FirstOrDefaultAsync(ct)!;

    /// <summary>
    /// Stores the report (D9: same content hash, latest requester's userid, timestamp and pages) with the TDQL's
    /// new child attributes, and sets report_id and status together in one update (D10).
    /// </summary>
    public Task<BsonDocument> CompleteAsync(BsonDocument tdqlDoc, ReportOutcome outcome, Instant now, CancellationToken ct)
    {
        var tdql = Tdql.Parse(tdqlDoc);
        return CompleteAsync(tdqlDoc, outcome.ToDocument(tdql.QType, tdql.UserId, now), outcome.Status, ct);
    }

    /// <summary>As above, for a report document already built (and checked for size) by the caller.</summary>
    public async Task<BsonDocument> CompleteAsync(BsonDocument tdqlDoc, BsonDocument report, string status, CancellationToken ct)
    {
        var reportHash = report["_hash"].AsString;
        var (updated, children) = TdqlDocuments.ReplaceChildren(tdqlDoc, new Dictionary<string, BsonValue>
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
            new ReplaceOneModel<BsonDocument>(F.Eq("itype", "report") & F.Eq("_hash", reportHash), report) { IsUpsert = true },
        };
        // Always written, never remembered: report_db may be emptied or restored under a running worker, and a
        // TDQL pointing at a child that is not there breaks the API's redo.
        writes.AddRange(children.Select(InsertIfAbsent));
        // Matching the edges as read means an API redo in the meantime (new socket, status wait) is not
        // overwritten: the watcher claims the redo and answers it afresh.
        writes.Add(new UpdateOneModel<BsonDocument>(TdqlFilter(tdqlDoc["_hash"].AsString) & F.Eq("_cref", tdqlDoc["_cref"]) & F.Eq("_ref", tdqlDoc["_ref"]), set));
        await mongo.Reports.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
        return report;
    }

    /// <summary>A content-addressed document written once: later writes of the same hash change nothing.</summary>
    public static WriteModel<BsonDocument> InsertIfAbsent(BsonDocument doc) =>
        new UpdateOneModel<BsonDocument>(F.Eq("_hash", doc["_hash"].AsString), new BsonDocument("$setOnInsert", doc)) { IsUpsert = true };

    /// <summary>
    /// Moves a TDQL to another status the way the API's TAHOE edit does (new status child, edges swapped), as a
    /// compare-and-set: only if it still has the edges it was read with and matches <paramref name="condition"/>.
    /// </summary>
    public async Task<bool> TrySetStatusAsync(BsonDocument tdqlDoc, string status, FilterDefinition<BsonDocument> condition, CancellationToken ct)
    {
        var (updated, children) = TdqlDocuments.ReplaceChildren(tdqlDoc, new Dictionary<string, BsonValue> { ["status"] = status });
        var filter = TdqlFilter(tdqlDoc["_hash"].AsString) & condition & F.Eq("_cref", tdqlDoc["_cref"]) & F.Eq("_ref", tdqlDoc["_ref"]);
        // The very document that was read, where it is known: a copy under the same hash is not this TDQL.
        if (tdqlDoc.TryGetValue("_id", out var id)) filter &= F.Eq("_id", id);
        var update = Builders<BsonDocument>.Update
            .Set("data.status", updated["data"]["status"]).Set("_cref", updated["_cref"]).Set("_ref", updated["_ref"]);
        // One ordered round trip: the status child first (so the TDQL never points at a missing one), then the
        // compare-and-set. The child upsert never counts as modified, so the TDQL's update alone decides.
        var writes = children.Select(InsertIfAbsent).Append(new UpdateOneModel<BsonDocument>(filter, update));
        var result = await mongo.Reports.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
        return result.ModifiedCount == 1;
    }

    /// <summary>
    /// Writes a TDQL and its children in one round trip, the TDQL only if no TDQL of its hash exists yet. True when
    /// this call created it.
    /// </summary>
    public async Task<bool> InsertTdqlIfAbsentAsync(BsonDocument tdql, IEnumerable<BsonDocument> children, CancellationToken ct)
    {
        var writes = children.Select(InsertIfAbsent).ToList();
        writes.Add(new UpdateOneModel<BsonDocument>(TdqlFilter(tdql["_hash"].AsString), new BsonDocument("$setOnInsert", tdql)) { IsUpsert = true });
        var result = await mongo.Reports.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
        return result.Upserts.Any(u => u.Index == writes.Count - 1);
    }

    /// <summary>Writes a TDQL and its children as the API does (used by the CLI, replay and tests).</summary>
    public async Task InsertTdqlAsync(BsonDocument tdql, IEnumerable<BsonDocument> children, CancellationToken ct)
    {
        var writes = children.Select(InsertIfAbsent)
            .Append(new ReplaceOneModel<BsonDocument>(TdqlFilter(tdql["_hash"].AsString), tdql) { IsUpsert = true });
        await mongo.Reports.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
    }
}
