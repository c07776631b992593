using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>
/// A lease as read from the store. <paramref name="Version"/> changes with every write of the lease, so a
/// take-over made on what was read fails when anyone has written the lease since.
/// </summary>
/// <param name="Id">The lease document's own identity (two documents may lease one TDQL where no unique index holds).</param>
/// <param name="ClaimId">Null when the stored claim id is not one (a hostile or damaged document).</param>
/// <param name="Socket">The key of the socket the claim was made for; null on a lease without one.</param>
public sealed record Lease(
    BsonValue Id, string Tdql, Guid? ClaimId, long Version, Instant ClaimedAt, Instant Expires, int Attempt, bool Started, bool Answered, string? LastError,
    string? Socket = null);

/// <summary>Which lease a conditional write applies to.</summary>
/// <param name="Claim">The claim that must hold the lease, or null for a lease matched exactly as read.</param>
/// <param name="AsRead">The lease must still be this document at this version: nothing has written it since.</param>
/// <param name="Answered">The lease must carry the answered mark.</param>
/// <param name="SendingFreeAt">No sender may hold the reply at this instant (never taken, or its hold has run out).</param>
/// <param name="Socket">The lease must have been claimed for this socket (<see cref="ClaimProtocol.SocketKey"/>).</param>
public sealed record LeaseMatch(string Tdql, Guid? Claim, Lease? AsRead = null, bool Answered = false, Instant? SendingFreeAt = null, string? Socket = null)
{
    public static LeaseMatch Of(string tdql, Guid claim) => new(tdql, claim);

    public static LeaseMatch Exactly(Lease lease) => new(lease.Tdql, null, lease);
}

/// <summary>What a conditional write sets on a lease; every write also moves its version on.</summary>
public sealed record LeaseChange
{
    public Instant? Expires { get; init; }

    public bool? Started { get; init; }

    public bool? Answered { get; init; }

    /// <summary>A sender holds the reply until then.</summary>
    public Instant? SendingUntil { get; init; }

    /// <summary>The lease passes to a new claim: its id, time and attempt, with nothing of the old claim's progress.</summary>
    public Claim? TakeOver { get; init; }

    public string? Error { get; init; }

    /// <summary>The key of the socket the lease's reply now goes to (<see cref="ClaimProtocol.SocketKey"/>).</summary>
    public string? Socket { get; init; }
}
