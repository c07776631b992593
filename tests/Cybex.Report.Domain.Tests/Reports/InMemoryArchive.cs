using Cybex.Report.Domain.Reports;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Tests.Reports;

/// <summary>
/// The archive port over a list in natural (insertion) order, with the event rules of domain §5, so report rules
/// run in milliseconds without a server. Counts every read, as a database would see them.
/// </summary>
public sealed class InMemoryArchive(IEnumerable<BsonDocument> docs) : IArchiveReader
{
    private readonly List<BsonDocument> _docs = docs.ToList();

    public int Reads { get; private set; }

    /// <summary>The attributes each <see cref="EventsHoldingAsync"/> asked for, in order.</summary>
    public List<IReadOnlyList<string>> HoldersAskedFor { get; } = [];

    private IEnumerable<BsonDocument> Of(string itype) => _docs.Where(d => d.GetValue("itype", "") == itype);

    private static IEnumerable<string> Strings(BsonDocument d, string field) =>
        d.TryGetValue(field, out var v) && v.IsBsonArray ? v.AsBsonArray.Where(x => x.IsString).Select(x => x.AsString) : [];

    private static bool Matches(BsonDocument e, EventSelection s)
    {
        var ts = e["timestamp"].ToDouble();
        if (s.Range.HasStart && ts < s.Range.StartSeconds) return false;
        if (s.Range.HasEnd && ts > s.Range.EndSeconds) return false;
        if (s.Category != "all" && e.GetValue("category", "") != s.Category) return false;
        if (!s.OrgHashes.Contains(e.GetValue("orgid", "").ToString())) return false;
        var holds = Strings(e, "_ref").Contains(s.AttributeHash);
        var benign = Strings(e, "_ben_ref").Contains(s.AttributeHash);
        var malicious = Strings(e, "_mal_ref").Contains(s.AttributeHash);
        return s.Context switch
        {
            "benign" => benign,
            "malicious" => malicious,
            "unknown" => holds && !benign && !malicious,
            _ => holds,
        };
    }

    private Task<T> Read<T>(T result)
    {
        Reads++;
        return Task.FromResult(result);
    }

    public Task<long> CountEventsAsync(EventSelection selection, long limit, CancellationToken ct)
    {
        var count = Of("event").LongCount(e => Matches(e, selection));
        return Read(limit > 0 ? Math.Min(count, limit) : count);
    }

    public Task<IReadOnlyList<BsonDocument>> EventPageAsync(EventSelection selection, int skip, int limit, CancellationToken ct) =>
        Read<IReadOnlyList<BsonDocument>>(Of("event").Where(e => Matches(e, selection)).Skip(skip).Take(limit).ToList());

    public Task<IReadOnlyList<BsonDocument>> SessionsOfEventsAsync(IEnumerable<string> eventHashes, CancellationToken ct)
    {
        var wanted = eventHashes.ToHashSet();
        return Read<IReadOnlyList<BsonDocument>>(Of("session").Where(s => Strings(s, "_ref").Any(wanted.Contains)).ToList());
    }

    public Task<IReadOnlyList<BsonDocument>> EventsAmongAsync(IEnumerable<string> hashes, IReadOnlyList<string> orgHashes, CancellationToken ct)
    {
        var wanted = hashes.ToHashSet();
        return Read<IReadOnlyList<BsonDocument>>(Of("event").Where(e => wanted.Contains(e["_hash"].AsString) && orgHashes.Contains(e["orgid"].AsString)).ToList());
    }

    public Task<IReadOnlyList<BsonDocument>> DocumentsAsync(IEnumerable<string> hashes, string? itype, IReadOnlyList<string>? orgHashes, CancellationToken ct)
    {
        var wanted = hashes.ToHashSet();
        return Read<IReadOnlyList<BsonDocument>>(_docs.Where(d => wanted.Contains(d["_hash"].AsString)
            && (itype is null || d.GetValue("itype", "") == itype)
            && (orgHashes is null || orgHashes.Contains(d.GetValue("orgid", "").ToString()))).ToList());
    }

    public Task<BsonDocument?> EventAsync(string hash, CancellationToken ct) => Read(Of("event").FirstOrDefault(e => e["_hash"] == hash));

    public Task<IReadOnlySet<string>> AttributeHashesAsync(IEnumerable<string> hashes, CancellationToken ct)
    {
        var wanted = hashes.ToHashSet();
        return Read<IReadOnlySet<string>>(Of("attribute").Select(a => a["_hash"].AsString).Where(wanted.Contains).ToHashSet());
    }

    public Task<IReadOnlyList<BsonDocument>> EventsHoldingAsync(IEnumerable<string> attributeHashes, CancellationToken ct)
    {
        var wanted = attributeHashes.ToList();
        HoldersAskedFor.Add(wanted);
        return Read<IReadOnlyList<BsonDocument>>(Of("event").Where(e => Strings(e, "_ref").Any(wanted.Contains)).ToList());
    }
}
