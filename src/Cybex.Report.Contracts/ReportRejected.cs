namespace Cybex.Report.Contracts;

/// <summary>
/// The answer to a <see cref="SubmitReportQuery"/> that cannot be answered (malformed, unknown user, wrong key,
/// too large) or whose report failed; <paramref name="Reason"/> says why.
/// </summary>
/// <param name="TdqlHash">The TDQL, when the query got as far as being stored.</param>
/// <param name="ReportId">The failed report, when one was stored.</param>
public sealed record ReportRejected(string Reason, string? TdqlHash = null, string? ReportId = null);
