using MongoDB.Bson;

namespace Cybex.Report.Domain.Reports;

/// <summary>
/// The reads the reports make of the TAHOE archive (tahoe_db), each answered in natural order. An adapter never
/// writes (D7). Event documents carry at least <c>_hash</c>, <c>_ref</c> and <c>timestamp</c>.
/// </summary>
public interface IArchiveReader
{
    /// <summary>How many events match, counting no further than <paramref name="limit"/> (0: no limit).</summary>
    Task<long> CountEventsAsync(EventSelection selection, long limit, CancellationToken ct);

    Task<IReadOnlyList<BsonDocument>> EventPageAsync(EventSelection selection, int skip, int limit, CancellationToken ct);

    /// <summary>Sessions whose <c>_ref</c> holds any of the events (sessions belong to no org): <c>_hash</c> and <c>_ref</c>.</summary>
    Task<IReadOnlyList<BsonDocument>> SessionsOfEventsAsync(IEnumerable<string> eventHashes, CancellationToken ct);

    /// <summary>The events among the hashes that belong to one of the orgs.</summary>
    Task<IReadOnlyList<BsonDocument>> EventsAmongAsync(IEnumerable<string> hashes, IReadOnlyList<string> orgHashes, CancellationToken ct);

    /// <summary>Whole documents by hash (no <c>_id</c>), of one itype when given, of the orgs when given.</summary>
    Task<IReadOnlyList<BsonDocument>> DocumentsAsync(IEnumerable<string> hashes, string? itype, IReadOnlyList<string>? orgHashes, CancellationToken ct);

    /// <summary>The whole event of a hash, of any org.</summary>
    Task<BsonDocument?> EventAsync(string hash, CancellationToken ct);

    /// <summary>Which of the hashes are attribute documents.</summary>
    Task<IReadOnlySet<string>> AttributeHashesAsync(IEnumerable<string> hashes, CancellationToken ct);

    /// <summary>Every event, of all orgs, whose <c>_ref</c> holds any of the attributes, with its <c>category</c>.</summary>
    Task<IReadOnlyList<BsonDocument>> EventsHoldingAsync(IEnumerable<string> attributeHashes, CancellationToken ct);
}
