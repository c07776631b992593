namespace Cybex.Report.Domain.Claims;

/// <summary>A finished TDQL whose nonce is still owed: its completion is to be announced again under the lease's claim.</summary>
public sealed record OwedReply(string TdqlHash, Guid ClaimId, string ReportId, string Status);

/// <summary>What a look at expired leases found: claims taken over, and replies still owed.</summary>
public sealed record Reclaimed(List<Claim> Claims, List<OwedReply> Replies);
