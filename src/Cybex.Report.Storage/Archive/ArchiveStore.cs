using Cybex.Report.Domain.Reports;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Storage.Archive;

/// <summary>
/// Read-only access to the TAHOE archive (D7: reading never writes). Results come in natural order, made
/// deterministic by sorting on <c>_id</c>.
/// </summary>
public sealed class ArchiveStore(MongoContext mongo) : IArchiveReader
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;
    private static readonly SortDefinition<BsonDocument> NaturalOrder = Builders<BsonDocument>.Sort.Ascending("_id");
    private static readonly ProjectionDefinition<BsonDocument> WithoutId = Builders<BsonDocument>.Projection.Exclude("_id");

    private IMongoCollection<BsonDocument> Archive => mongo.Archive;

    /// <summary>The original's count/related event filter (domain §5), including the DAM org clause.</summary>
    public static FilterDefinition<BsonDocument> EventFilter(EventSelection s)
    {
        var filter = F.Eq("itype", "event");
        if (s.Range.HasStart) filter &= F.Gte("timestamp", s.Range.StartSeconds);
        if (s.Range.HasEnd) filter &= F.Lte("timestamp", s.Range.EndSeconds);
        if (s.Category != "all") filter &= F.Eq("category", s.Category);
        filter &= s.Context switch
        {
            "benign" => F.Eq("_ben_ref", s.AttributeHash),
            "malicious" => F.Eq("_mal_ref", s.AttributeHash),
            // $ne on an array field means "has no element equal to".
            "unknown" => F.Eq("_ref", s.AttributeHash) & F.Ne("_ben_ref", s.AttributeHash) & F.Ne("_mal_ref", s.AttributeHash),
            _ => F.Eq("_ref", s.AttributeHash),
        };
        return filter & OrgClause(s.OrgHashes);
    }

    private static FilterDefinition<BsonDocument> OrgClause(IReadOnlyList<string> orgHashes) => F.In("orgid", orgHashes);

    public async Task<long> CountEventsAsync(EventSelection selection, long limit, CancellationToken ct) =>
        await Archive.CountDocumentsAsync(EventFilter(selection), new CountOptions { Limit = limit > 0 ? limit : null }, ct);

    public async Task<IReadOnlyList<BsonDocument>> EventPageAsync(EventSelection selection, int skip, int limit, CancellationToken ct) =>
        await Archive.Find(EventFilter(selection))
            .Sort(NaturalOrder)
            .Skip(skip)
            .Limit(limit)
            .Project(Builders<BsonDocument>.Projection.Include("itype").Include("sub_type").Include("_hash").Include("_ref").Include("timestamp").Exclude("_id"))
            .ToListAsync(ct);

    /// <summary>Sessions whose <c>_ref</c> holds any of the events (sessions are not org-filtered).</summary>
    public async Task<IReadOnlyList<BsonDocument>> SessionsOfEventsAsync(IEnumerable<string> eventHashes, CancellationToken ct) =>
        await Archive.Find(F.Eq("itype", "session") & F.In("_ref", eventHashes))
            .Sort(NaturalOrder)
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("_ref").Exclude("_id"))
            .ToListAsync(ct);

    /// <summary>
    /// Events among the hashes that belong to one of the orgs (D14: the original expands session members without
    /// the DAM filter, which hands other orgs' events and what they hold to the user).
    /// </summary>
    public async Task<IReadOnlyList<BsonDocument>> EventsAmongAsync(IEnumerable<string> hashes, IReadOnlyList<string> orgHashes, CancellationToken ct) =>
        await Archive.Find(F.Eq("itype", "event") & F.In("_hash", hashes) & OrgClause(orgHashes))
            .Sort(NaturalOrder)
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("_ref").Include("timestamp").Exclude("_id"))
            .ToListAsync(ct);

    /// <summary>Whole documents by hash, without <c>_id</c>, in natural order.</summary>
    public async Task<IReadOnlyList<BsonDocument>> DocumentsAsync(IEnumerable<string> hashes, string? itype, IReadOnlyList<string>? orgHashes, CancellationToken ct)
    {
        var filter = F.In("_hash", hashes);
        if (itype is not null) filter &= F.Eq("itype", itype);
        if (orgHashes is not null) filter &= OrgClause(orgHashes);
        var docs = await Archive.Find(filter).Sort(NaturalOrder).Project(WithoutId).ToListAsync(ct);
        return docs.Select(FloatRestorer.Restore).ToList();
    }

    public async Task<BsonDocument?> EventAsync(string hash, CancellationToken ct) =>
        await Archive.Find(F.Eq("itype", "event") & F.Eq("_hash", hash)).Sort(NaturalOrder).Project(WithoutId).FirstOrDefaultAsync(ct);

    /// <summary>Which of the hashes are attribute documents.</summary>
    public async Task<IReadOnlySet<string>> AttributeHashesAsync(IEnumerable<string> hashes, CancellationToken ct)
    {
        var docs = await Archive.Find(F.Eq("itype", "attribute") & F.In("_hash", hashes))
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Exclude("_id"))
            .ToListAsync(ct);
        return docs.Select(d => d["_hash"].AsString).ToHashSet();
    }

    /// <summary>Every event (all orgs) whose <c>_ref</c> holds any of the attributes, as threatrank needs them.</summary>
    public async Task<IReadOnlyList<BsonDocument>> EventsHoldingAsync(IEnumerable<string> attributeHashes, CancellationToken ct) =>
        await Archive.Find(F.Eq("itype", "event") & F.In("_ref", attributeHashes))
            .Sort(NaturalOrder)
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("_ref").Include("category").Include("timestamp").Exclude("_id"))
            .ToListAsync(ct);
}
