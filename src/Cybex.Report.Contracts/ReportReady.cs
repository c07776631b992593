namespace Cybex.Report.Contracts;

/// <summary>The answer to a <see cref="SubmitReportQuery"/> whose report is <c>ready</c>.</summary>
/// <param name="TdqlHash">The TDQL the query is stored as.</param>
/// <param name="ReportId">The report's <c>_hash</c> in report_db.</param>
/// <param name="DataJson">The report's data as relaxed extended JSON, or null when it is larger than
/// <c>Bus:MaxResponseDataBytes</c>: then read the report by <paramref name="ReportId"/>.</param>
public sealed record ReportReady(string TdqlHash, string ReportId, string Status, int CurrentPage, int NextPage, string? DataJson);
