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

    /// <summary>
    /// The nodes of a RabbitMQ cluster as <c>host:port</c> (<c>Bus:Hosts:0</c>, <c>Bus:Hosts:1</c>, ..., or several in one
    /// entry separated by commas, as one environment variable can carry them): the bus connects to one and fails
    /// over to the others when it goes. Empty: the single <see cref="Host"/>.
    /// </summary>
    public string[] Hosts { get; set; } = [];

    /// <summary>Declare the worker's queues as quorum queues (replicated, they survive a node). Unset: on with more than one host.</summary>
    public bool? QuorumQueues { get; set; }

    /// <summary>How often a quorum queue delivers one message before it drops it: a message that kills its consumer every time stops there.</summary>
    [Range(1, 10000)]
    public int QuorumDeliveryLimit { get; set; } = 20;

    public bool UseQuorumQueues => QuorumQueues ?? Nodes().Count > 1;

    /// <summary>The nodes to connect to, in order: <see cref="Hosts"/>, or <see cref="Host"/> and <see cref="Port"/>.</summary>
    public IReadOnlyList<(string Host, int Port)> Nodes() => Hosts.Length == 0
        ? [(Host, Port)]
        : Hosts.SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(h =>
        {
            var colon = h.LastIndexOf(':');
            return colon > 0 && int.TryParse(h[(colon + 1)..], out var port) ? (h[..colon], port) : (h, 5672);
        }).ToList();

    /// <summary>Where the broker is, for messages.</summary>
    public string Where => string.Join(",", Nodes().Select(n => $"{n.Host}:{n.Port}"));
}
