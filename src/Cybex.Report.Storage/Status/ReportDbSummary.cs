using NodaTime;

namespace Cybex.Report.Storage.Status;

/// <summary>What an operator asks of the report database: where the queries stand and how fast reports come.</summary>
/// <param name="ByStatus">TDQLs by status, malformed ones apart.</param>
/// <param name="ExpiredLeases">Claims whose lease ran out: work a worker took and did not finish.</param>
/// <param name="UndeliveredReplies">Replies given up because the API had gone.</param>
/// <param name="ReportsLastMinute">Reports written in the minute before <paramref name="At"/>, by type (one report per distinct content: a repeat rewrites it).</param>
/// <param name="OldestWaiting">When the oldest TDQL still waiting for a claim was written; null when none waits.</param>
public sealed record ReportDbSummary(
    IReadOnlyDictionary<string, long> ByStatus,
    long ExpiredLeases,
    long UndeliveredReplies,
    IReadOnlyDictionary<string, long> ReportsLastMinute,
    Instant? OldestWaiting,
    Instant At);
