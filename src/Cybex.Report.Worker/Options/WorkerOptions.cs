using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Worker.Options;

/// <summary>Which roles this process plays and how hard it works. Containers switch roles on and off.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    public bool Watcher { get; set; } = true;

    public bool ReportConsumer { get; set; } = true;

    public bool ReplyConsumer { get; set; } = true;

    /// <summary>Answer report queries sent on the bus (<c>SubmitReportQuery</c>).</summary>
    public bool QueryConsumer { get; set; } = true;

    /// <summary>Reports worked on at once by one process (the original ran a pool of 64 threads).</summary>
    [Range(1, 1024)]
    public int ConcurrentMessageLimit { get; set; } = 64;

    [Range(1, 4096)]
    public int PrefetchCount { get; set; } = 64;

    /// <summary>
    /// How long a claim may stay unfinished before another watcher takes it over. It must outlast the longest
    /// queue backlog: a request still queued when its lease expires is published again (and then only
    /// re-announced, since the first copy finished it).
    /// </summary>
    [Range(1, 86400)]
    public int LeaseSeconds { get; set; } = 300;

    /// <summary>
    /// How long the watcher waits on one publish. MassTransit holds a publish until the broker is back, which can
    /// take minutes; past this the claim is kept aside and announced again later instead of stalling the watcher.
    /// </summary>
    [Range(1, 600)]
    public int PublishTimeoutSeconds { get; set; } = 10;

    [Range(1, 60000)]
    public int PollMinMilliseconds { get; set; } = 10;

    /// <summary>How long after it last found work the watcher backs off only to four minimum intervals (then to idle).</summary>
    [Range(0, 600000)]
    public int PollHotMilliseconds { get; set; } = 1000;

    [Range(100, 600000)]
    public int PollIdleMilliseconds { get; set; } = 1000;

    [Range(1, 10000)]
    public int ClaimBatch { get; set; } = 100;

    /// <summary>
    /// Claims of one user made and not yet answered, across all workers: the watcher claims no more of that user's
    /// queries until one is answered (and the bus door answers the user's next query "ask again"), so one user's
    /// flood cannot fill the queue ahead of everyone else. Enough to keep a lone user's reports at full speed.
    /// </summary>
    [Range(1, 100000)]
    public int MaxInFlightPerUser { get; set; } = 16;

    /// <summary>
    /// One user's reports worked on at once by one process (unset: no limit but <see cref="ConcurrentMessageLimit"/>);
    /// the rest of their claims wait for a slot while other users' go ahead. A database that serves commands in arrival
    /// order puts every running report's commands ahead of another user's, so this bounds how far a flood's get ahead,
    /// at the cost of the flood's own throughput (README, Fair claiming).
    /// </summary>
    [Range(1, 1024)]
    public int? MaxConcurrentPerUser { get; set; }

    /// <summary>Claims of one batch in flight at once.</summary>
    [Range(1, 256)]
    public int ClaimParallelism { get; set; } = 16;

    [Range(1, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Claims of one TDQL at most (a re-claim after an expired lease counts as one more): the claim past this ends
    /// the query failed with the last attempt's error and tells the API, instead of trying for ever.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;
}
