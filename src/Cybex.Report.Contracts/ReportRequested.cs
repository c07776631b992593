namespace Cybex.Report.Contracts;

/// <summary>
/// A TDQL was claimed and waits for its report. It carries the TDQL as the claim left it (as stored, qdata still
/// encrypted with the report module's key), so the consumer need not read it again; the consumer trusts it only as
/// far as the store's compare-and-set on its edges, which pin every field.
/// </summary>
/// <param name="TdqlHash">The TDQL's <c>_hash</c>.</param>
/// <param name="ClaimId">The lease this request belongs to; a re-claim after an expired lease gets a new one. A
/// consumer works only while this is the TDQL's live lease: any other copy is stale.</param>
/// <param name="ClaimedAt">When the watcher claimed it (UTC).</param>
/// <param name="Attempt">How many claims of this TDQL there have been, this one included (1 for the first).</param>
/// <param name="Tdql">The TDQL document as BSON; absent for a re-claim, whose consumer reads it.</param>
public sealed record ReportRequested(string TdqlHash, Guid ClaimId, DateTimeOffset ClaimedAt, int Attempt = 1, byte[]? Tdql = null);
