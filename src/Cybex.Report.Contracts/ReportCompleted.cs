namespace Cybex.Report.Contracts;

/// <summary>A report is stored and the TDQL says <c>ready</c> or <c>failed</c>; the API is to be told, once per claim.</summary>
/// <param name="ClaimId">The claim whose report this is: its reply is sent at most once.</param>
public sealed record ReportCompleted(string TdqlHash, string ReportId, string Status, DateTimeOffset CompletedAt, Guid ClaimId = default);
