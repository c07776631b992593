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
        var health = await http.GetAsync($"http://127.0.0.1:{healthPort}/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var body = await health.Content.ReadAsStringAsync();
        Assert.Contains("\"database\":\"healthy\"", body);
        Assert.Contains("\"broker\":\"healthy\"", body);
        Assert.Equal(0, await HealthEndpoint.ProbeAsync(healthPort));

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Contains("cybex_reports", metrics);
        Assert.Contains("type=\"count\"", metrics);
    }
}
