using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Worker.Options;

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
