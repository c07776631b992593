using System.Globalization;
using System.Text.Json;
using Cybex.Report.Cli.Bench;

namespace Cybex.Report.Cli.Commands;

public static class BenchCommand
{
    public const string Help = """
        cybex-report bench [--events N] [--queries N] [--mode burst|closed] [--concurrency C]
                           [--related-percent P] [--idle-seconds S] [--warmup N] [--via tdql|bus|both] [--worker-dir DIR]
                           [--workers N] [--bus-hosts H:P,...]
                           [--json FILE] [--mongo URL]
          Seeds a scratch archive (3 orgs), starts the worker as its own process, writes TDQLs the way the API
          does (encrypted; a burst as one insert) and prints: reports/s, latency from the TDQL in report_db to
          its nonce (p50, p95, p99, max; a burst's first answer), CPU per report of the worker, of the database
          server (when tests/services.sh started it) and of bench itself with its API double, the worker's
          database commands per report by role, report_db scans and lease commands per report, commands while idle.
          --events N           archive size (default 300 events, about 800 documents)
          --queries N          queries to run (default 200)
          --mode burst|closed  all queries at once (default), or C clients each waiting for its answer
          --concurrency C      clients in closed mode (default 8)
          --related-percent P  share of related level-1 queries, the rest count (default 30)
          --idle-seconds S     idle measurement after the run (default 10)
          --warmup N           queries answered one by one before the window (default 5 in closed mode, 0 in a
                               burst, which measures a worker that has seen nothing)
          --via tdql|bus|both  queries as TDQLs answered by nonce (default), as SubmitReportQuery messages
                               answered by response (latency from send to response), or both in one run
          --worker-dir DIR     the worker binaries to run (default: the ones beside this tool), e.g. a
                               ReadyToRun publish
          --workers N          worker processes competing for the work (default 1)
          --bus-hosts H:P,...  a broker cluster's nodes (tests/services.sh cluster-start prints them; quorum
                               queues then); default the single broker of RABBITMQ_HOST
          --json FILE          also write the figures as JSON
          --reference-suite    run the original's five reference configurations one after another and print
                               them next to the original worker's stored figures, with ratios
        """;

    /// <summary>The original worker's figures, stored (same kind of machine, same test server, 300 events): not a run of today's.</summary>
    private static readonly (string Name, BenchConfig Config, double ReportsPerSecond, double? P50Ms)[] Reference =
    [
        ("burst of 50", new BenchConfig(300, 50, "burst", 1, 30, 0), 3.7, null),
        ("burst of 200", new BenchConfig(300, 200, "burst", 1, 30, 0), 13, 8600),
        ("closed loop, 1 client", new BenchConfig(300, 100, "closed", 1, 30, 0, Warmup: 5), 7.3, 128),
        ("closed loop, 8 clients", new BenchConfig(300, 200, "closed", 8, 30, 0, Warmup: 5), 9.8, 830),
        ("burst of 1000", new BenchConfig(300, 1000, "burst", 1, 30, 10), 4.4, 129_000),
    ];

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var config = new BenchConfig(
            args.GetInt("events", 300, 10, 1_000_000),
            args.GetInt("queries", 200, 1, 1_000_000),
            args.Get("mode") ?? "burst",
            args.GetInt("concurrency", 8, 1, 10_000),
            args.GetInt("related-percent", 30, 0, 100),
            args.GetInt("idle-seconds", 10, 0, 3600));
        if (config.Mode is not ("burst" or "closed")) throw new CliException("--mode must be burst or closed");
        config = config with
        {
            Warmup = args.GetInt("warmup", config.Mode == "closed" ? 5 : 0, 0, 10_000),
            Workers = args.GetInt("workers", 1, 1, 16),
            BusHosts = args.Get("bus-hosts"),
        };
        var via = args.Get("via") ?? "tdql";
        if (via is not ("tdql" or "bus" or "both")) throw new CliException("--via must be tdql, bus or both");
        var workerDir = args.Get("worker-dir");
        if (workerDir is not null && !File.Exists(Path.Combine(workerDir, "cybex-report-worker.dll"))) throw new CliException($"--worker-dir {workerDir} holds no cybex-report-worker.dll");
        var suite = args.Has("reference-suite");
        var jsonFile = args.Get("json");
        var mongoUrl = Common.MongoUrl(args);
        args.EnsureAllUsed();

        var runs = new List<BenchFigures>();
        if (!suite)
        {
            foreach (var path in via == "both" ? ["tdql", "bus"] : new[] { via })
            {
                if (via == "both") Console.WriteLine($"== via {path}");
                runs.Add(await BenchRunner.RunAsync(config with { Via = path }, mongoUrl, workerDir, ct));
                Print(runs[^1]);
            }
            if (runs.Count == 2)
            {
                Console.WriteLine(Invariant($"bus vs tdql: {runs[1].ReportsPerSecond / runs[0].ReportsPerSecond:0.0}x throughput, p50 {runs[1].LatencyMs.P50:0.0} ms vs {runs[0].LatencyMs.P50:0.0} ms"));
            }
        }
        else
        {
            // The original's reference runs, one after another, side by side with its stored figures.
            foreach (var (name, reference, _, _) in Reference)
            {
                Console.WriteLine($"== {name}");
                runs.Add(await BenchRunner.RunAsync(reference, mongoUrl, workerDir, ct));
                Print(runs[^1]);
            }
            Console.WriteLine();
            Console.WriteLine($"{"run",-24} {"original (stored)",-22} {"ours (this run)",-30} ratio");
            for (var i = 0; i < Reference.Length; i++)
            {
                var (name, _, rps, p50) = Reference[i];
                var f = runs[i];
                var original = Invariant($"{rps} r/s") + (p50 is { } p ? Invariant($", p50 {p:0} ms") : "");
                var ratio = Invariant($"{f.ReportsPerSecond / rps:0.0}x throughput") + (p50 is { } q ? Invariant($", latency 1/{q / f.LatencyMs.P50:0.0}") : "");
                Console.WriteLine($"{name,-24} {original,-22} {Invariant($"{f.ReportsPerSecond} r/s, p50 {f.LatencyMs.P50:0} ms"),-30} {ratio}");
            }
        }
        if (jsonFile is not null) await File.WriteAllTextAsync(jsonFile, JsonSerializer.Serialize<object>(runs.Count == 1 ? runs[0] : runs, Json), ct);
        return runs.All(r => r.Lost == 0) ? 0 : 1;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static void Print(BenchFigures f)
    {
        void Line(string key, FormattableString value) => Console.WriteLine($"{key,-34} {Invariant(value)}");
        Line("answered", $"{f.Answered} of {f.Queries} ({f.Lost} lost) in {f.WallSeconds} s");
        Line("reports_per_second", $"{f.ReportsPerSecond}");
        Line("latency_ms", $"p50 {f.LatencyMs.P50}, p95 {f.LatencyMs.P95}, p99 {f.LatencyMs.P99}, max {f.LatencyMs.Max}");
        if (f.FirstAnswerMs is { } first) Line("first_answer_ms", $"{first}");
        Line("worker_cpu_ms_per_report", $"{f.WorkerCpuMsPerReport}");
        Line("database_cpu_ms_per_report", $"{(f.DatabaseCpuMsPerReport is { } d ? d.ToString(CultureInfo.InvariantCulture) : "n/a")}");
        Line("bench_cpu_ms_per_report", $"{f.BenchCpuMsPerReport} (this process: the API double, listeners, bus client)");
        Line("commands_per_report_by_role", $"{string.Join(", ", f.CommandsPerReportByRole.Select(kv => Invariant($"{kv.Key} {kv.Value}")))}");
        Line("report_db_scans_per_report", $"{f.ReportDbScansPerReport} (commands on report_db.instance; leases apart: {f.LeaseCommandsPerReport})");
        Line("idle_commands_per_second", $"{(f.IdleCommandsPerSecond is { } i ? i.ToString(CultureInfo.InvariantCulture) : "n/a")}");
        Line("worker_peak_memory_mb", $"{f.WorkerPeakMemoryMb}");
    }
}
