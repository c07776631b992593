using Cybex.Report.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Testing;

/// <summary>
/// Writes TDQLs as the API's TAHOE code leaves them: every document it has not stored yet inserted once (TAHOE's
/// dedup-on-construct), nothing upserted, so the writes cost the database no scans. It remembers what it wrote,
/// which stands in for TAHOE's lookups as long as it is the only writer of these documents (bench's scratch
/// report_db). Many queries written in one call are one insert (a burst landing at once); <see cref="WriteLikeApiAsync"/>
/// writes one query as the API's requests do, a command per document.
/// </summary>
public sealed class ApiTdqlWriter(MongoContext mongo)
{
    private readonly HashSet<string> _written = [];
    private readonly Lock _gate = new();

    public async Task WriteAsync(IEnumerable<PreparedQuery> queries, CancellationToken ct)
    {
        var docs = new List<BsonDocument>();
        lock (_gate)
        {
            foreach (var q in queries)
            {
                docs.AddRange(q.Children.Where(c => _written.Add(c["_hash"].AsString)));
                docs.Add(q.Tdql);
            }
        }
        await mongo.ReportDb.InsertManyAsync(docs, new InsertManyOptions { IsOrdered = true }, ct);
    }

    /// <summary>One query as the API stores it: its TDQL, then each child it had not stored yet, each its own insert.</summary>
    public async Task WriteLikeApiAsync(PreparedQuery query, CancellationToken ct)
    {
        List<BsonDocument> children;
        lock (_gate) children = query.Children.Where(c => _written.Add(c["_hash"].AsString)).ToList();
        await mongo.ReportDb.InsertOneAsync(query.Tdql, cancellationToken: ct);
        foreach (var child in children) await mongo.ReportDb.InsertOneAsync(child, cancellationToken: ct);
    }
}
