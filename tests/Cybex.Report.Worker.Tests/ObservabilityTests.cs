using Cybex.Report.Testing;
using System.Net;
using System.Net.Sockets;
using Cybex.Report.Worker.Health;
using Xunit;

namespace Cybex.Report.Worker.Tests;

public class ObservabilityTests
{
    [Fact]
    public async Task Health_and_prometheus_endpoints_report_the_running_worker()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var healthPort = FreePorts.Next();
        var metricsPort = FreePorts.Next();
        await env.StartWorkerAsync(s =>
        {
            s["Observability:HealthPort"] = healthPort.ToString();
            s["Observability:MetricsPort"] = metricsPort.ToString();
        });
        using var pending = await env.Submitter.SubmitTextAsync("count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", env.UserId("alice"), CancellationToken.None);
        Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{healthPort}{HealthEndpoints.Live}")).StatusCode);
        var ready = await http.GetAsync($"http://127.0.0.1:{healthPort}{HealthEndpoints.Ready}");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        foreach (var name in new[] { "masstransit-bus", "consumers", "mongo", "watcher" })
        {
            Assert.Equal("Healthy", checks.GetProperty(name).GetProperty("status").GetString());
        }
        Assert.Equal(0, checks.GetProperty("watcher").GetProperty("data").GetProperty("expiredLeases").GetInt64());
        Assert.Equal(0, await HealthEndpoints.ProbeAsync(healthPort));
        // Each endpoint answers on its own port only.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{metricsPort}{HealthEndpoints.Ready}")).StatusCode);

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Contains("cybex_reports", metrics);
        Assert.Contains("type=\"count\"", metrics);
        Assert.Contains("dotnet_gc_collections", metrics);
    }

    [Fact]
    public async Task Json_logs_carry_each_querys_tdql_hash_and_never_its_contents()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var log = Path.Combine(Path.GetTempPath(), $"worker-{Guid.NewGuid():N}.log");
        try
        {
            var settings = env.Settings();
            settings["Logging:Format"] = "json";
            using var worker = WorkerProcess.Start(settings, log);
            using var pending = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(7), env.UserId("alice"), CancellationToken.None);
            Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None));
            await Task.Delay(500);
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();

            var lines = (await File.ReadAllLinesAsync(log)).Where(l => l.Length > 0).ToList();
            var entries = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
            Assert.All(entries, e => Assert.True(e.TryGetProperty("Timestamp", out _) && e.TryGetProperty("LogLevel", out _)));
            var aboutQuery = entries.Where(e => e.TryGetProperty("Scopes", out var scopes)
                && scopes.EnumerateArray().Any(sc => sc.ValueKind == System.Text.Json.JsonValueKind.Object && sc.TryGetProperty("Tdql", out var t) && t.GetString() == pending.TdqlHash)).ToList();
            Assert.Contains(aboutQuery, e => e.GetProperty("Category").GetString()!.EndsWith("ReportRequestedConsumer"));
            // The queried value is in the decrypted qdata only: it never reaches the log.
            Assert.DoesNotContain(lines, l => l.Contains("203.0.113.45"));
        }
        finally
        {
            File.Delete(log);
        }
    }
}
