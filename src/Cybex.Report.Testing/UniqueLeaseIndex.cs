using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>
/// The lease writer as real MongoDB runs it, for a test server that enforces no unique index: a lease write that
/// would insert a second lease for a TDQL fails with a duplicate key, as <c>report_leases.tdql</c>'s unique index
/// makes it fail there. Counts the duplicate keys it raised.
/// </summary>
public sealed class UniqueLeaseIndex(MongoContext mongo) : ILeaseWriter
{
    private readonly MongoLeaseWriter _inner = new(mongo);

    public int DuplicateKeys { get; private set; }

    public async Task<IReadOnlyList<bool>> TryWriteAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct)
    {
        var written = new bool[intents.Count];
        var allowed = new List<(int Index, LeaseIntent Intent)>();
        for (var i = 0; i < intents.Count; i++)
        {
            var hash = intents[i].Claim.TdqlHash;
            var exists = await mongo.Leases.Find(Builders<BsonDocument>.Filter.Eq(Leases.Tdql, hash)).AnyAsync(ct);
            var replaceable = await mongo.Leases.Find(MongoLeaseWriter.Replaceable(hash, intents[i].Fingerprint, now)).AnyAsync(ct);
            // An upsert whose filter matches nothing inserts: with a lease of this TDQL present, that is E11000.
            if (exists && !replaceable)
            {
                DuplicateKeys++;
                continue;
            }
            allowed.Add((i, intents[i]));
        }
        var results = await _inner.TryWriteAsync(allowed.Select(a => a.Intent).ToList(), now, ct);
        for (var n = 0; n < allowed.Count; n++) written[allowed[n].Index] = results[n];
        return written;
    }
}
