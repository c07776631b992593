using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>A lease the watcher wants before it claims a TDQL.</summary>
/// <param name="Fingerprint">Names the waiting state the claim is for (its edges as read): a lease of an earlier
/// state (before an API redo or a requeue) is stale and may be replaced; a live lease of the same state belongs to a
/// watcher claiming the same TDQL right now.</param>
public sealed record LeaseIntent(Claim Claim, string Fingerprint, Instant Expires);
