using System.Globalization;
using System.Text.Json;
using System.CommandLine;
using Cybex.Report.Cli.Bench;
using Cybex.Report.Cli.Output;
using Cybex.Report.Cli.Parsing;
using Spectre.Console;
using Progress = Cybex.Report.Cli.Output.Progress;

namespace Cybex.Report.Cli.Commands;

public static class BenchCommand
{
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

    public static Command Create()
    {
        var events = CliOptions.Int("--events", 300, 10, 1_000_000, "archive size in events (300 is about 800 documents)");
        var queries = CliOptions.Int("--queries", 200, 1, 1_000_000, "queries to run");
        var mode = CliOptions.Choice("--mode", "burst", "all queries at once, or --concurrency clients each waiting for its answer", "burst", "closed");
        var concurrency = CliOptions.Int("--concurrency", 8, 1, 10_000, "clients in closed mode");
        var related = CliOptions.Int("--related-percent", 30, 0, 100, "share of related level-1 queries, the rest count");
        var idle = CliOptions.Int("--idle-seconds", 10, 0, 3600, "idle measurement after the run");
        var warmup = CliOptions.OptionalInt("--warmup", 0, 10_000,
            "queries answered one by one before the window (default 5 in closed mode, 0 in a burst, which measures a worker that has seen nothing)");
        var via = CliOptions.Choice("--via", "tdql", "queries as TDQLs answered by nonce, as SubmitReportQuery messages answered by response, or both in one run", "tdql", "bus", "both");
        var workerDir = CliOptions.Text("--worker-dir", "DIR", "the worker binaries to run (default: the ones beside this tool), e.g. a ReadyToRun publish");
        var workers = CliOptions.Int("--workers", 1, 1, 16, "worker processes competing for the work");
        var arrival = CliOptions.Choice("--arrival", "api",
            "how TDQLs land: as the API writes them (one query at a time, its TDQL and then each child its own command) or a burst as one insert", "api", "bulk");
        var rate = CliOptions.OptionalInt("--rate", 1, 1_000_000, "with --arrival api in a burst: queries written per second, a steady load (default: as fast as they can be written)");
        var tenants = CliOptions.Flag("--tenants",
            "the burst is one user's flood (alice, org-a) while a user of other orgs (carol) asks one query a second: their latencies apart, the lone user's against their idle latency");
        var maxInFlight = CliOptions.OptionalInt("--max-in-flight", 1, 100_000, "the worker's Worker:MaxInFlightPerUser (default: the worker's own default)");
        var busHosts = CliOptions.Text("--bus-hosts", "H:P,...", "a broker cluster's nodes (tests/services.sh cluster-start prints them; quorum queues then); default the single broker of RABBITMQ_HOST");
        var json = new Option<string?>("--json")
        {
            Description = "the figures as JSON: to FILE, or alone to stdout (the tables then go to stderr)",
            HelpName = "FILE",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var plot = CliOptions.Text("--plot", "FILE.png", "draw the run as a PNG: latency over time and its distribution; with --reference-suite, the bars against the original");
        var compare = CliOptions.Text("--compare", "DIR",
            "another worker build's binaries (e.g. the previous commit's publish): run it and this one one after the other, alternating which goes first, --pairs times, and print each figure's median ratio");
        var pairs = CliOptions.Int("--pairs", 3, 1, 100, "pairs of runs with --compare");
        var suite = CliOptions.Flag("--reference-suite", "run the original's five reference configurations one after another and print them next to the original worker's stored figures, with ratios");
        var floor = CliOptions.Flag("--floor",
            "no worker: what the fixed stack costs this process per operation on this machine (a socket round trip to the database, the driver's command and conditional update, a message through MassTransit, a decryption), the floor under a report's cost");
        var databases = new DatabaseOptions();
        var command = new Command("bench",
            "Seeds a scratch archive (3 orgs), starts the worker as its own process, writes TDQLs the way the API does (encrypted; one query at a time, or with --arrival bulk a burst as one insert) and prints: "
            + "reports/s, latency from the TDQL in report_db to its nonce (min, p50, p95, p99, max; a burst's first answer from its first TDQL landing), CPU per report of the worker, of the database server "
            + "(when tests/services.sh started it) and of bench itself with its API double, the worker's database commands per report by role, report_db scans and "
            + "lease commands per report, commands while idle. Exit code 1 when a query went unanswered.");
        // What shapes a run, all of which --floor (no run) refuses.
        Option[] runShape = [events, queries, mode, concurrency, related, idle, warmup, via, workerDir, workers, busHosts, arrival, rate, tenants, maxInFlight, plot, suite, compare, pairs];
        foreach (var option in runShape.Append(json).Append(floor)) command.Options.Add(option);
        databases.AddTo(command, urlOnly: true);
        command.Validators.Add(r =>
        {
            if (r.GetValue(workerDir) is { } dir && !File.Exists(Path.Combine(dir, "cybex-report-worker.dll"))) r.AddError($"--worker-dir {dir} holds no cybex-report-worker.dll");
            if (r.GetValue(compare) is { } other && !File.Exists(Path.Combine(other, "cybex-report-worker.dll"))) r.AddError($"--compare {other} holds no cybex-report-worker.dll");
            if (r.GetValue(plot) is { } png && !png.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) r.AddError("--plot must name a .png file");
            if (r.GetValue(floor) && runShape.Any(o => r.GetResult(o) is not null)) r.AddError("--floor runs no worker: it goes with --json and the database options only");
        });
        command.SetAction((r, ct) =>
        {
            var config = new BenchConfig(r.GetValue(events), r.GetValue(queries), r.GetValue(mode)!, r.GetValue(concurrency), r.GetValue(related), r.GetValue(idle));
            config = config with
            {
                Warmup = r.GetValue(warmup) ?? (config.Mode == "closed" ? 5 : 0),
                Workers = r.GetValue(workers),
                BusHosts = r.GetValue(busHosts),
                Arrival = r.GetValue(arrival)!,
                Rate = r.GetValue(rate),
                Tenants = r.GetValue(tenants),
                MaxInFlightPerUser = r.GetValue(maxInFlight),
            };
            if (config.Tenants && (config.Mode != "burst" || r.GetValue(via) != "tdql" || r.GetValue(suite))) throw new CliException("--tenants goes with a burst via tdql", 2);
            // Checked on the values as parsed, defaults included (a validator sees only what was typed).
            if (config.Rate is not null && (config.Arrival != "api" || config.Mode != "burst")) throw new CliException("--rate goes with --arrival api in a burst", 2);
            if (r.GetValue(compare) is not null && (r.GetValue(via) == "both" || r.GetValue(suite) || r.GetValue(plot) is not null))
            {
                throw new CliException("--compare goes with one run's shape: not with --via both, --reference-suite or --plot", 2);
            }
            // --json alone: the figures are stdout's only content.
            var jsonTarget = r.GetResult(json) is null ? null : r.GetValue(json) ?? "-";
            if (r.GetValue(floor)) return FloorAsync(jsonTarget, databases.Url(r), ct);
            if (r.GetValue(compare) is { } otherWorker)
            {
                return CompareAsync(config with { Via = r.GetValue(via)! }, r.GetValue(workerDir), otherWorker, r.GetValue(pairs), jsonTarget, databases.Url(r), ct);
            }
            return RunAsync(config, r.GetValue(via)!, r.GetValue(workerDir), r.GetValue(suite), jsonTarget, r.GetValue(plot), databases.Url(r), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(BenchConfig config, string via, string? workerDir, bool suite, string? jsonTarget, string? plotFile, string mongoUrl, CancellationToken ct)
    {
        var text = jsonTarget == "-" ? Console.Error : Console.Out;
        var runs = new List<BenchFigures>();
        if (!suite)
        {
            foreach (var path in via == "both" ? ["tdql", "bus"] : new[] { via })
            {
                if (via == "both") text.WriteLine($"== via {path}");
                runs.Add(await BenchRunner.RunAsync(config with { Via = path }, mongoUrl, workerDir, text, ct));
                Print(runs[^1], text);
            }
            if (runs.Count == 2)
            {
                text.WriteLine(Invariant($"bus vs tdql: {runs[1].ReportsPerSecond / runs[0].ReportsPerSecond:0.0}x throughput, p50 {runs[1].LatencyMs.P50:0.0} ms vs {runs[0].LatencyMs.P50:0.0} ms"));
            }
            if (plotFile is not null) BenchPlot.Latency(runs, plotFile);
        }
        else
        {
            // The original's reference runs, one after another, side by side with its stored figures.
            foreach (var (name, reference, _, _) in Reference)
            {
                text.WriteLine($"== {name}");
                runs.Add(await BenchRunner.RunAsync(reference, mongoUrl, workerDir, text, ct));
                Print(runs[^1], text);
            }
            text.WriteLine();
            PrintReference(runs, text);
            if (plotFile is not null) BenchPlot.Reference(Reference.Select((r, i) => (r.Name, r.ReportsPerSecond, runs[i])).ToList(), plotFile);
        }
        if (plotFile is not null) text.WriteLine($"plot: {plotFile}");
        await WriteJsonAsync(runs.Count == 1 ? runs[0] : runs, jsonTarget, ct);
        return runs.All(r => r.Lost == 0) ? 0 : 1;
    }

    private static async Task<int> CompareAsync(BenchConfig config, string? workerDir, string otherWorker, int pairs, string? jsonTarget, string mongoUrl, CancellationToken ct)
    {
        var text = jsonTarget == "-" ? Console.Error : Console.Out;
        var comparison = await BenchComparison.RunAsync(config, mongoUrl, workerDir, otherWorker, pairs, text, ct);
        text.WriteLine();
        foreach (var line in comparison.Lines()) text.WriteLine(line);
        await WriteJsonAsync(comparison, jsonTarget, ct);
        return comparison.This.Concat(comparison.Other).All(r => r.Lost == 0) ? 0 : 1;
    }

    private static async Task<int> FloorAsync(string? jsonTarget, string mongoUrl, CancellationToken ct)
    {
        var text = jsonTarget == "-" ? Console.Error : Console.Out;
        await WriteJsonAsync(await FloorRunner.RunAsync(mongoUrl, text, ct), jsonTarget, ct);
        return 0;
    }

    /// <summary>The figures as JSON to the file asked for, or to stdout for <c>-</c>; nothing when not asked.</summary>
    private static async Task WriteJsonAsync(object figures, string? jsonTarget, CancellationToken ct)
    {
        if (jsonTarget is null) return;
        var json = JsonSerializer.Serialize(figures, Json);
        if (jsonTarget == "-") Console.WriteLine(json);
        else await File.WriteAllTextAsync(jsonTarget, json, ct);
    }

    private static void PrintReference(List<BenchFigures> runs, TextWriter text)
    {
        var rows = Reference.Select((r, i) =>
        {
            var f = runs[i];
            var original = Invariant($"{r.ReportsPerSecond} r/s") + (r.P50Ms is { } p ? Invariant($", p50 {p:0} ms") : "");
            var ratio = Invariant($"{f.ReportsPerSecond / r.ReportsPerSecond:0.0}x throughput") + (r.P50Ms is { } q ? Invariant($", latency 1/{q / f.LatencyMs.P50:0.0}") : "");
            return new[] { r.Name, original, Invariant($"{f.ReportsPerSecond} r/s, p50 {f.LatencyMs.P50:0} ms"), ratio };
        }).ToList();
        if (text == Console.Out && Terminal.OutIsTerminal)
        {
            var table = new Table().AddColumns("run", "original (stored)", "ours (this run)", "ratio");
            foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            Terminal.Out.Write(table);
            return;
        }
        text.WriteLine($"{"run",-24} {"original (stored)",-22} {"ours (this run)",-30} ratio");
        foreach (var row in rows) text.WriteLine($"{row[0],-24} {row[1],-22} {row[2],-30} {row[3]}");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static void Print(BenchFigures f, TextWriter text)
    {
        var lines = new List<(string Key, string Value)>();
        void Line(string key, FormattableString value) => lines.Add((key, Invariant(value)));
        Line("answered", $"{f.Answered} of {f.Queries} ({f.Lost} lost) in {f.WallSeconds} s");
        Line("reports_per_second", $"{f.ReportsPerSecond}");
        if (f.ArrivalPerSecond is { } arrival) Line("arrival_per_second", $"{arrival} (queries written per second: the load offered)");
        Line("latency_ms", $"min {f.LatencyMs.Min}, p50 {f.LatencyMs.P50}, p95 {f.LatencyMs.P95}, p99 {f.LatencyMs.P99}, max {f.LatencyMs.Max}");
        if (f.FirstAnswerMs is { } first) Line("first_answer_ms", $"{first}");
        Line("worker_cpu_ms_per_report", $"{f.WorkerCpuMsPerReport}");
        if (f.WorkerJitMsPerReport is { } jit) Line("worker_jit_ms_per_report", $"{jit} (time the JIT spent compiling code paths met for the first time, wall clock as the runtime counts it: paid once)");
        Line("database_cpu_ms_per_report", $"{(f.DatabaseCpuMsPerReport is { } d ? d.ToString(CultureInfo.InvariantCulture) : "n/a")}");
        Line("bench_cpu_ms_per_report", $"{f.BenchCpuMsPerReport} (this process: the API double, listeners, bus client)");
        Line("commands_per_report_by_role", $"{string.Join(", ", f.CommandsPerReportByRole.Select(kv => Invariant($"{kv.Key} {kv.Value}")))}");
        Line("commands_per_report_by_collection", $"{string.Join(", ", f.CommandsPerReportByRoleAndCollection.Select(kv => Invariant($"{kv.Key} {kv.Value}")))}");
        Line("report_db_scans_per_report", $"{f.ReportDbScansPerReport} (commands on report_db.instance; leases apart: {f.LeaseCommandsPerReport})");
        Line("idle_commands_per_second", $"{(f.IdleCommandsPerSecond is { } i ? i.ToString(CultureInfo.InvariantCulture) : "n/a")}");
        Line("worker_peak_memory_mb", $"{f.WorkerPeakMemoryMb}");
        if (f.Tenants is { } t)
        {
            Line("lone_user_idle_ms", $"{t.LoneIdleMs} (median of queries asked one by one before the flood)");
            Line("lone_user_during_flood_ms", $"{t.LoneQueries} queries: p50 {t.LoneMs.P50}, p95 {t.LoneMs.P95}, max {t.LoneMs.Max}; worst {t.WorstOverIdle}x idle");
        }
        if (text == Console.Out && Terminal.OutIsTerminal)
        {
            var table = new Table().AddColumns("figure", "value").HideHeaders();
            foreach (var (key, value) in lines) table.AddRow(Markup.Escape(key), Markup.Escape(value));
            Terminal.Out.Write(table);
            return;
        }
        foreach (var (key, value) in lines) text.WriteLine($"{key,-34} {value}");
    }
}
