using System.Text.Json;
using Cybex.Report.Worker.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cybex.Report.Worker.Health;

/// <summary>
/// <c>/health/live</c> (the process serves: restart it when this fails), <c>/health/ready</c> (the bus, the
/// database and the watcher: 200 while healthy or degraded, 503 when unhealthy) and the Prometheus <c>/metrics</c>,
/// each on its configured port.
/// </summary>
public static class HealthEndpoints
{
    public const string Live = "/health/live";
    public const string Ready = "/health/ready";

    /// <summary>The tag of every check that decides readiness; MassTransit tags its bus check the same way.</summary>
    public const string ReadyTag = "ready";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapWorkerEndpoints(this WebApplication app, ObservabilityOptions o)
    {
        if (o.HealthPort > 0)
        {
            var host = $"*:{o.HealthPort}";
            // Liveness runs no check: a broker or database outage is not cured by restarting the worker.
            app.MapHealthChecks(Live, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).RequireHost(host);
            app.MapHealthChecks(Ready, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).RequireHost(host);
        }
        if (o.MetricsPort > 0) app.MapPrometheusScrapingEndpoint().RequireHost($"*:{o.MetricsPort}");
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }

    /// <summary>The container health check: asks the running worker whether it is ready, exit code 0 when it is.</summary>
    public static async Task<int> ProbeAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var response = await http.GetAsync($"http://127.0.0.1:{port}{Ready}");
            Console.WriteLine(await response.Content.ReadAsStringAsync());
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"health endpoint on port {port} not reachable");
            return 1;
        }
    }
}
