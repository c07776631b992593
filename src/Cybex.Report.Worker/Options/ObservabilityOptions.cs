using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Worker.Options;

public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>Port of the health endpoint (<c>/health</c>); 0 turns it off.</summary>
    [Range(0, 65535)]
    public int HealthPort { get; set; }

    /// <summary>Port of the Prometheus scrape endpoint (<c>/metrics</c>); 0 turns it off.</summary>
    [Range(0, 65535)]
    public int MetricsPort { get; set; }

    /// <summary>Address the endpoints listen on.</summary>
    [Required]
    public string ListenHost { get; set; } = "127.0.0.1";

    /// <summary>OTLP collector for traces and metrics (e.g. http://otel-collector:4317); empty turns OTLP off.</summary>
    public string? OtlpEndpoint { get; set; }
}
