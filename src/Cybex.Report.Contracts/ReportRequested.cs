namespace Cybex.Report.Contracts;

/// <summary>
/// A TDQL was claimed and waits for its report. Only the TDQL's hash travels: the query itself stays
/// encrypted in the report database.
/// </summary>
/// <param name="TdqlHash">The TDQL's <c>_hash</c>.</param>
/// <param name="ClaimId">The lease this request belongs to; a re-claim after an expired lease gets a new one. A
/// consumer works only while this is the TDQL's live lease: any other copy is stale.</param>
/// <param name="ClaimedAt">When the watcher claimed it (UTC).</param>
/// <param name="Attempt">How many claims of this TDQL there have been, this one included (1 for the first).</param>
public sealed record ReportRequested(string TdqlHash, Guid ClaimId, DateTimeOffset ClaimedAt, int Attempt = 1);
