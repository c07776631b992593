namespace Cybex.Report.Contracts;

/// <summary>A report is stored and the TDQL says <c>ready</c> or <c>failed</c>; the API is to be told, once per claim.</summary>
/// <param name="ClaimId">The claim whose report this is: its reply is sent at most once.</param>
/// <param name="Reply">Where the API waits, as the TDQL the report was made for names it; absent when the
/// consumer that announces it has not read the TDQL (a reply owed after a crash), and then read by the reply.</param>
public sealed record ReportCompleted(string TdqlHash, string ReportId, string Status, DateTimeOffset CompletedAt, Guid ClaimId = default, ReplySocket? Reply = null);

/// <summary>The API's socket of one TDQL: host and port to connect to, the nonce to send.</summary>
public sealed record ReplySocket(string Host, int Port, string Nonce);
