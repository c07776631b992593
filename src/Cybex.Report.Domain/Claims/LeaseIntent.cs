using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>A lease the watcher wants before it claims a TDQL.</summary>
/// <param name="Fingerprint">Names the waiting state the claim is for (its edges as read): a lease of an earlier
/// state (before an API redo or a requeue) is stale and may be replaced; a live lease of the same state belongs to a
/// watcher claiming the same TDQL right now.</param>
/// <param name="Socket">Where the claim's reply goes (<see cref="ClaimProtocol.SocketKey"/> of the TDQL's socket as
/// claimed): a completion that names any other socket is not this claim's to send.</param>
/// <param name="User">The user the TDQL is for: what is claimed and unanswered is counted per user (<see cref="FairShare"/>).</param>
public sealed record LeaseIntent(Claim Claim, string Fingerprint, Instant Expires, string Socket, string User);
