using NodaTime;

namespace Cybex.Report.Storage.Status;

/// <summary>What an operator asks of the report database: where the queries stand and how fast reports come.</summary>
/// <param name="ByStatus">TDQLs by status, malformed ones apart.</param>
/// <param name="ExpiredLeases">Claims whose lease ran out: work a worker took and did not finish.</param>
/// <param name="UndeliveredReplies">Replies given up because the API had gone.</param>
/// <param name="ReportsLastMinute">Reports written in the minute before <paramref name="At"/>, by type (one report per distinct content: a repeat rewrites it).</param>
/// <param name="OldestWaiting">When the oldest TDQL still waiting for a claim was written; null when none waits.</param>
/// <param name="Orgs">Each org with queries waiting or a quota, by hash.</param>
public sealed record ReportDbSummary(
    IReadOnlyDictionary<string, long> ByStatus,
    long ExpiredLeases,
    long UndeliveredReplies,
    IReadOnlyDictionary<string, long> ReportsLastMinute,
    Instant? OldestWaiting,
    Instant At,
    IReadOnlyList<OrgBacklog> Orgs);

/// <summary>One org's waiting queries and its quota (<c>cybex-report quota</c>).</summary>
/// <param name="Org">The org's hash, or <c>user:</c> and the hash of a user in no org.</param>
/// <param name="PerMinute">Its quota; null when it has none.</param>
/// <param name="Throttled">At its quota with queries waiting: they are claimed as the quota allows.</param>
public sealed record OrgBacklog(string Org, long Waiting, int? PerMinute, int UsedLastMinute, bool Throttled);
