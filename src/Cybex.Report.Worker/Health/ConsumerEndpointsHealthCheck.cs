using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Health;

/// <summary>
/// Whether every queue this process's roles consume has a working receive endpoint. MassTransit's own bus check
/// stays only degraded while the broker is gone (its bus endpoint counts as healthy), but a worker none of whose
/// consumers can receive is not ready for anything.
/// </summary>
public sealed class ConsumerEndpointsHealthCheck(IBusControl bus, IOptions<BusOptions> busOptions, IOptions<WorkerOptions> roles) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var endpoints = bus.CheckHealth().Endpoints;
        var data = new Dictionary<string, object>();
        var failing = new List<string>();
        foreach (var queue in ConsumerWatchdog.QueuesOf(busOptions.Value, roles.Value))
        {
            var found = endpoints.Where(e => QueueOf(e.Key) == queue).Select(e => (BusHealthStatus?)e.Value.Status).FirstOrDefault();
            data[queue] = found?.ToString() ?? "missing";
            if (found is null or BusHealthStatus.Unhealthy) failing.Add(queue);
        }
        return Task.FromResult(failing.Count == 0
            ? HealthCheckResult.Healthy($"{data.Count} consumer endpoints receiving", data)
            : HealthCheckResult.Unhealthy($"not receiving: {string.Join(", ", failing)}", data: data));
    }

    /// <summary>The queue of an endpoint address such as <c>rabbitmq://host/vhost/queue?temporary=true</c>.</summary>
    private static string QueueOf(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Segments[^1].TrimEnd('/') : address;
}
