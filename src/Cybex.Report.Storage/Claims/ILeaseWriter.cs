using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>A lease the watcher wants before it claims a TDQL.</summary>
/// <param name="Fingerprint">Names the waiting state the claim is for (its edges as read): a lease of an earlier
/// state (before an API redo or a requeue) is stale and may be replaced; a live lease of the same state belongs to a
/// watcher claiming the same TDQL right now.</param>
public sealed record LeaseIntent(Claim Claim, string Fingerprint, Instant Expires);

/// <summary>
/// Writes the leases of one claim batch. Each lease succeeds or fails alone: on a store whose unique index on the
/// TDQL is enforced, a lease held by another watcher is a duplicate key for that TDQL only, never for the batch.
/// </summary>
public interface ILeaseWriter
{
    /// <summary>One entry per intent, in order: true when the lease is now the intent's.</summary>
    Task<IReadOnlyList<bool>> TryWriteAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct);
}
