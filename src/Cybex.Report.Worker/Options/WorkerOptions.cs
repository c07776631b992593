using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Worker.Options;

/// <summary>Which roles this process plays and how hard it works. Containers switch roles on and off.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    public bool Watcher { get; set; } = true;

    public bool ReportConsumer { get; set; } = true;

    public bool ReplyConsumer { get; set; } = true;

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

    /// <summary>How long the watcher keeps polling at the minimum interval after it last found work.</summary>
    [Range(0, 600000)]
    public int PollHotMilliseconds { get; set; } = 1000;

    [Range(100, 600000)]
    public int PollIdleMilliseconds { get; set; } = 1000;

    [Range(1, 10000)]
    public int ClaimBatch { get; set; } = 100;

    /// <summary>Claims of one batch in flight at once.</summary>
    [Range(1, 256)]
    public int ClaimParallelism { get; set; } = 16;

    [Range(1, 3600)]
    public int ShutdownTimeoutSeconds { get; set; } = 30;
}

public enum TransportKind
{
    RabbitMq,
    InMemory,
}

public sealed class BusOptions
{
    public const string Section = "Bus";

    public TransportKind Transport { get; set; } = TransportKind.RabbitMq;

    [Required]
    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required]
    public string VirtualHost { get; set; } = "/";

    [Required]
    public string Username { get; set; } = "guest";

    [Required]
    public string Password { get; set; } = "guest";

    /// <summary>How long the worker waits for the broker at start before giving up.</summary>
    [Range(1, 3600)]
    public int StartTimeoutSeconds { get; set; } = 60;

    /// <summary>Prepended to the queue names, so several environments can share one broker.</summary>
    [RegularExpression("^[a-z0-9-]*$")]
    public string EndpointPrefix { get; set; } = "";

    /// <summary>How often the watchdog asks the broker whether this process's queues have consumers.</summary>
    [Range(1, 3600)]
    public int WatchdogIntervalSeconds { get; set; } = 10;

    /// <summary>
    /// How long a consumed queue may have no consumer at all (while the broker answers) before the bus is restarted;
    /// 0 turns the watchdog off. It must outlast MassTransit's own reconnect backoff (up to ~20 s after an outage).
    /// </summary>
    [Range(0, 86400)]
    public int WatchdogRestartAfterSeconds { get; set; } = 60;

    /// <summary>Retry intervals (ms) for transient faults before a message goes to its _error queue.</summary>
    public int[] RetryIntervalsMilliseconds { get; set; } = [100, 500, 2000, 5000];
}

/// <summary>How the worker reaches the CYBEX-P API's reply socket.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Replaces 0.0.0.0, 127.0.0.1 and localhost in the TDQL socket (the original's api.host).</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>Hosts the worker may connect to; the configured API host is always allowed.</summary>
    public string[] AllowedHosts { get; set; } = [];

    [Range(50, 60000)]
    public int ConnectTimeoutMilliseconds { get; set; } = 3000;

    [Range(50, 60000)]
    public int SendTimeoutMilliseconds { get; set; } = 3000;
}
