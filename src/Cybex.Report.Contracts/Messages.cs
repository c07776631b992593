namespace Cybex.Report.Contracts;

/// <summary>
/// A TDQL was claimed and waits for its report. Only the TDQL's hash travels: the query itself stays
/// encrypted in the report database.
/// </summary>
/// <param name="TdqlHash">The TDQL's <c>_hash</c>.</param>
/// <param name="ClaimId">The lease this request belongs to; a re-claim after an expired lease gets a new one.</param>
/// <param name="ClaimedAt">When the watcher claimed it (UTC).</param>
public sealed record ReportRequested(string TdqlHash, Guid ClaimId, DateTimeOffset ClaimedAt);

/// <summary>A report is stored and the TDQL says <c>ready</c> or <c>failed</c>; the API is to be told.</summary>
public sealed record ReportCompleted(string TdqlHash, string ReportId, string Status, DateTimeOffset CompletedAt);

/// <summary>Deterministic message ids, so a duplicate publication of one claim is recognisable.</summary>
public static class MessageIds
{
    public static Guid For(string kind, string tdqlHash, Guid claimId)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{kind}:{tdqlHash}:{claimId:N}"));
        return new Guid(bytes.AsSpan(0, 16));
    }
}
