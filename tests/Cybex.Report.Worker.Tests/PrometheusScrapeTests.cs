using System.Diagnostics;
using System.Text.Json;
using Cybex.Report.Testing;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// Debian's Prometheus, configured by the file the repository ships (deploy/prometheus), scrapes a worker process
/// and answers for the worker's metrics through its HTTP API: what an operator's dashboard would read.
/// </summary>
public class PrometheusScrapeTests
{
    private const string Prometheus = "/usr/bin/prometheus";

    [Fact]
    public async Task Prometheus_with_the_shipped_configuration_scrapes_a_worker_and_answers_for_its_metrics()
    {
        Assert.True(File.Exists(Prometheus), "prometheus is not installed (tests/services.sh start installs it from Debian)");
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var metricsPort = FreePorts.Next();
        var settings = env.Settings();
        settings["Observability:MetricsPort"] = metricsPort.ToString();
        using var worker = WorkerProcess.Start(settings);
        var dir = Directory.CreateTempSubdirectory("cybex-prometheus-");
        Process? prometheus = null;
        try
        {
            using var pending = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(3), env.UserId("alice"), CancellationToken.None);
            Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None));

            // The shipped file unchanged; the worker is found through its file discovery, as a worker outside compose would be.
            File.Copy(Path.Combine(RepositoryRoot.Path, "deploy", "prometheus", "prometheus.yml"), Path.Combine(dir.FullName, "prometheus.yml"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "targets"));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "targets", "worker.json"),
                $$$"""[{"targets": ["127.0.0.1:{{{metricsPort}}}"], "labels": {"instance_role": "test"}}]""");
            var webPort = FreePorts.Next();
            var info = new ProcessStartInfo(Prometheus)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList =
                {
                    $"--config.file={Path.Combine(dir.FullName, "prometheus.yml")}",
                    $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}",
                    $"--web.listen-address=127.0.0.1:{webPort}",
                },
            };
            prometheus = Process.Start(info)!;
            prometheus.OutputDataReceived += (_, _) => { };
            prometheus.ErrorDataReceived += (_, _) => { };
            prometheus.BeginOutputReadLine();
            prometheus.BeginErrorReadLine();

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var reports = await QueryAsync(http, webPort, """sum by (type) (cybex_reports_total{job="cybex-report-worker", instance_role="test"})""");
            Assert.Contains(reports, r => r.GetProperty("metric").GetProperty("type").GetString() == "count"
                && double.Parse(r.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
            // The bus's and the runtime's metrics travel the same way.
            Assert.NotEmpty(await QueryAsync(http, webPort, """{__name__=~"messaging_masstransit_.*", instance_role="test"}"""));
            Assert.NotEmpty(await QueryAsync(http, webPort, """dotnet_gc_collections_total{instance_role="test"}"""));
            // Every query of the shipped Grafana dashboard is one this Prometheus accepts, and the report panel shows this run.
            using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "deploy", "grafana", "dashboards", "cybex-report-bus.json")));
            var exprs = dashboard.RootElement.GetProperty("panels").EnumerateArray()
                .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
            Assert.True(exprs.Count >= 8);
            foreach (var expr in exprs)
            {
                var answer = await http.GetAsync($"http://127.0.0.1:{webPort}/api/v1/query?query={Uri.EscapeDataString(expr)}");
                Assert.True(answer.IsSuccessStatusCode, $"{expr}: {await answer.Content.ReadAsStringAsync()}");
            }
            Assert.NotEmpty(await QueryAsync(http, webPort, exprs[0]));
        }
        finally
        {
            if (prometheus is { HasExited: false }) prometheus.Kill(entireProcessTree: true);
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
            if (prometheus is not null) await prometheus.WaitForExitAsync();
            dir.Delete(recursive: true);
        }
    }

    /// <summary>An instant query, asked again until it has a result (the first scrapes take a few seconds).</summary>
    private static async Task<List<JsonElement>> QueryAsync(HttpClient http, int port, string query)
    {
        var waited = Stopwatch.StartNew();
        var last = "";
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                last = await http.GetStringAsync($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(query)}");
                using var doc = JsonDocument.Parse(last);
                var result = doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => r.Clone()).ToList();
                if (result.Count > 0) return result;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(500);
        }
        Assert.Fail($"Prometheus had no result for {query} within 60 s; last answer: {last}");
        return [];
    }
}
