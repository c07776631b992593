using Cybex.Report.Domain.Claims;
using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>
/// Writes the leases of one claim batch. Each lease succeeds or fails alone: on a store whose unique index on the
/// TDQL is enforced, a lease held by another watcher is a duplicate key for that TDQL only, never for the batch.
/// </summary>
public interface ILeaseWriter
{
    /// <summary>One entry per intent, in order: true when the lease is now the intent's.</summary>
    Task<IReadOnlyList<bool>> TryWriteAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct);
}
