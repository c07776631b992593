using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>A claimed TDQL and the lease that keeps it.</summary>
/// <param name="Tdql">The TDQL as the claim left it (status processing), when the claimer has it: a re-claim does not.</param>
public sealed record Claim(string TdqlHash, Guid ClaimId, Instant ClaimedAt, int Attempt, BsonDocument? Tdql = null);

/// <summary>What a claim batch did: the claims won, and the TDQLs whose claim failed on its own (their leases removed).</summary>
public sealed record ClaimBatch(List<Claim> Won, List<(string TdqlHash, Exception Error)> Failed);

/// <summary>A lease as its holder sees it when it renews: which attempt this is, why the previous one failed, and
/// whether its report is already stored (a redelivery).</summary>
public sealed record HeldLease(int Attempt, string? LastError, bool Answered);

/// <summary>A finished TDQL whose answering claim still owes its reply: its completion is to be announced again.</summary>
public sealed record OwedReply(string TdqlHash, Guid ClaimId, string ReportId, string Status);

/// <summary>What a look at expired leases found: claims taken over, and replies still owed.</summary>
public sealed record Reclaimed(List<Claim> Claims, List<OwedReply> Replies);
