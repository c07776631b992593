using System.Diagnostics;
using Cybex.Report.Conformance;
using Cybex.Report.Storage;
using Cybex.Report.Tahoe.Documents;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>The worker as a separate process, killed without warning mid-run.</summary>
public class WorkerProcessTests
{
    private static Process StartWorkerProcess(TestEnvironment env, int concurrency)
    {
        var info = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "cybex-report-worker.dll"))
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in env.Settings()) info.Environment[key.Replace(":", "__")] = value;
        info.Environment["Worker__ConcurrentMessageLimit"] = concurrency.ToString();
        info.Environment["Worker__PrefetchCount"] = concurrency.ToString();
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [Fact]
    public async Task A_worker_killed_mid_run_loses_no_query_once_another_starts()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var first = StartWorkerProcess(env, concurrency: 1);
        var pending = new List<PendingQuery>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var text = $$"""{"data": "\"198.51.100.{{i}}\"", "level": "2", "sub_type": "\"ipv4\""}""";
                pending.Add(await env.Submitter.SubmitTextAsync(i % 2 == 0 ? "related" : "count", text, env.UserId("alice"), CancellationToken.None));
            }
            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(90), CancellationToken.None)).ToList();
            await Task.WhenAny(waits);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            var answeredBeforeKill = waits.Count(w => w.IsCompletedSuccessfully && w.Result);
            Assert.True(answeredBeforeKill < pending.Count, "the first worker finished everything before it was killed");

            using var second = StartWorkerProcess(env, concurrency: 8);
            try
            {
                var arrived = await Task.WhenAll(waits);
                Assert.All(arrived, Assert.True);
                var store = new ReportStore(env.Mongo);
                foreach (var p in pending)
                {
                    var tdql = Tdql.Parse((await store.FindTdqlAsync(p.TdqlHash, CancellationToken.None))!);
                    Assert.True(tdql.IsFinished, $"TDQL {tdql.Hash} is {tdql.Status}");
                    Assert.NotNull(await store.FindReportAsync(tdql.ReportId, CancellationToken.None));
                }
            }
            finally
            {
                second.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            if (!first.HasExited) first.Kill(entireProcessTree: true);
            first.Dispose();
            foreach (var p in pending) p.Dispose();
        }
    }
}
