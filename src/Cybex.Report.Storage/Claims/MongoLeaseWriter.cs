using Cybex.Report.Domain.Claims;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>
/// Leases as upserts keyed by the TDQL, in one unordered bulk write. A lease is replaced when it was written for
/// another waiting state of its TDQL (left over from a claim an API redo or a requeue superseded) or has expired
/// without an answer; a live lease of the same state, or an answered one whose reply is still owed, is kept, which
/// a unique index reports as a duplicate key for that one write.
/// </summary>
public sealed class MongoLeaseWriter(MongoContext mongo) : ILeaseWriter
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    public static FilterDefinition<BsonDocument> Replaceable(string tdql, string fingerprint, Instant now) =>
        F.Eq(Leases.Tdql, tdql) & (F.Ne(Leases.Fingerprint, fingerprint) | (Leases.ExpiredAt(now) & F.Ne(Leases.Answered, true)));

    public async Task<IReadOnlyList<bool>> TryWriteAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct)
    {
        var written = Enumerable.Repeat(true, intents.Count).ToArray();
        if (intents.Count == 0) return written;
        var writes = intents.Select(i => new UpdateOneModel<BsonDocument>(Replaceable(i.Claim.TdqlHash, i.Fingerprint, now), Leases.Fresh(i)) { IsUpsert = true });
        try
        {
            await mongo.Leases.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = false }, ct);
        }
        catch (MongoBulkWriteException<BsonDocument> e) when (e.WriteConcernError is null)
        {
            foreach (var error in e.WriteErrors) written[error.Index] = false;
        }
        return written;
    }
}
