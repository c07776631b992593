using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>A claimed TDQL and the lease that keeps it.</summary>
/// <param name="Tdql">The TDQL as the claim left it (status processing), when the claimer has it: a re-claim does not.</param>
public sealed record Claim(string TdqlHash, Guid ClaimId, Instant ClaimedAt, int Attempt, BsonDocument? Tdql = null);

/// <summary>What a claim batch did: the claims won, and the TDQLs whose claim failed on its own (their leases removed).</summary>
public sealed record ClaimBatch(List<Claim> Won, List<(string TdqlHash, Exception Error)> Failed);
