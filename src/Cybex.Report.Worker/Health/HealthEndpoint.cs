using System.Net;
using System.Text;
using System.Text.Json;
using Cybex.Report.Storage;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Worker.Health;

/// <summary>The worker's health as the endpoint and <c>--health-check</c> report it.</summary>
public sealed record HealthReport(string Status, string Broker, string Database, long ExpiredLeases)
{
    public bool Healthy => Status != "unhealthy";
}

public sealed class HealthProbe(IBusControl bus, MongoContext mongo, IClock clock)
{
    public async Task<HealthReport> CheckAsync(CancellationToken ct)
    {
        var broker = bus.CheckHealth().Status.ToString().ToLowerInvariant();
        string database;
        long expired = -1;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await mongo.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: timeout.Token);
            database = "healthy";
            expired = await mongo.Leases.CountDocumentsAsync(
                Storage.Claims.Leases.ExpiredAt(clock.GetCurrentInstant()), cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or MongoDB.Driver.MongoException)
        {
            database = "unhealthy";
        }
        var status = broker == "unhealthy" || database == "unhealthy" ? "unhealthy" : broker == "degraded" || expired > 0 ? "degraded" : "healthy";
        return new HealthReport(status, broker, database, expired);
    }
}

/// <summary>Serves <c>GET /health</c> as JSON: 200 while healthy or degraded, 503 when unhealthy.</summary>
public sealed class HealthEndpoint(HealthProbe probe, IOptions<ObservabilityOptions> options, ILogger<HealthEndpoint> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://{(o.ListenHost is "0.0.0.0" or "*" ? "+" : o.ListenHost)}:{o.HealthPort}/");
        listener.Start();
        logger.LogInformation("Health endpoint on port {Port}", o.HealthPort);
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            using var response = context.Response;
            if (context.Request.Url?.AbsolutePath != "/health")
            {
                response.StatusCode = 404;
                continue;
            }
            var report = await probe.CheckAsync(stoppingToken);
            response.StatusCode = report.Healthy ? 200 : 503;
            response.ContentType = "application/json";
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            await response.OutputStream.WriteAsync(body, stoppingToken);
        }
    }

    /// <summary>The container health check: asks the running worker's endpoint, exit code 0 when healthy.</summary>
    public static async Task<int> ProbeAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var response = await http.GetAsync($"http://127.0.0.1:{port}/health");
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
