using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>
/// What the claim protocol needs of the report database: single-document conditional writes and inserts-if-absent,
/// the primitives MongoDB gives without transactions. Every write says what it expects to find; the protocol's
/// decisions (<see cref="ClaimProtocol"/>) are built on nothing else.
/// </summary>
public interface IClaimPort
{
    /// <summary>
    /// Moves a TDQL to processing as the API's TAHOE edit would, only if it still is the document read, with its
    /// edges as read and status <paramref name="fromStatus"/>. The TDQL as edited, or null when it had changed.
    /// </summary>
    /// <param name="withChild">False when an earlier write of the same batch has stored the processing child already.</param>
    Task<BsonDocument?> TryMoveToProcessingAsync(BsonDocument tdql, string fromStatus, bool withChild, CancellationToken ct);

    /// <summary>Writes a TDQL already processing (with the children found absent), only if no TDQL of its hash exists.</summary>
    Task<bool> TryCreateAsync(BsonDocument tdql, IEnumerable<BsonDocument> absentChildren, CancellationToken ct);

    /// <summary>Status and report of each TDQL found among <paramref name="hashes"/>.</summary>
    Task<IReadOnlyDictionary<string, TdqlProgress>> ProgressAsync(IReadOnlyCollection<string> hashes, CancellationToken ct);

    /// <summary>
    /// Writes the leases of one claim batch, each alone: a TDQL's lease is inserted when it has none, replaced when
    /// its lease has expired or names another waiting state, and left alone when another claimer holds it for this
    /// state. One entry per intent, in order: true when the lease is now the intent's.
    /// </summary>
    Task<IReadOnlyList<bool>> TryWriteLeasesAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct);

    /// <summary>Applies <paramref name="change"/> to the lease <paramref name="match"/> names, if there is one; the lease as it was before, or null.</summary>
    Task<Lease?> TryUpdateAsync(LeaseMatch match, LeaseChange change, CancellationToken ct);

    /// <summary>Deletes the lease <paramref name="match"/> names; false when there was none.</summary>
    Task<bool> TryDeleteAsync(LeaseMatch match, CancellationToken ct);

    /// <summary>Which of these claims' TDQLs have a lease of another claim too (a store that enforces no unique index may hold two).</summary>
    Task<IReadOnlySet<string>> LeasedByOthersAsync(IReadOnlyCollection<Claim> claims, CancellationToken ct);

    /// <summary>Deletes the leases of these claims (claims lost in a batch).</summary>
    Task DeleteClaimsAsync(IReadOnlyCollection<Guid> claims, CancellationToken ct);

    /// <summary>Deletes every lease of these TDQLs (an operator's requeue supersedes whatever claim they had).</summary>
    Task DeleteAllAsync(IReadOnlyCollection<string> tdqls, CancellationToken ct);

    /// <summary>The lease of a claim, or null.</summary>
    Task<Lease?> FindAsync(string tdql, Guid claim, CancellationToken ct);

    /// <summary>Leases past their expiry at <paramref name="now"/>, oldest expiry first.</summary>
    Task<IReadOnlyList<Lease>> ExpiredAsync(Instant now, int limit, CancellationToken ct);

    /// <summary>Which of these TDQLs have a lease that has not expired at <paramref name="now"/>.</summary>
    Task<IReadOnlySet<string>> LiveAsync(IReadOnlyCollection<string> tdqls, Instant now, CancellationToken ct);

    /// <summary>Leases not yet answered, counted by the user they were claimed for; only <paramref name="users"/>, or all when null.</summary>
    Task<IReadOnlyDictionary<string, int>> InFlightByUserAsync(IReadOnlyCollection<string>? users, CancellationToken ct);

    Task RecordUndeliveredAsync(UndeliveredReply reply, Instant at, CancellationToken ct);
}
