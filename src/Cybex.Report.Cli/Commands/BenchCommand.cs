using Cybex.Report.Cli.Output;
using Cybex.Report.Worker.Health;
using Cybex.Report.Storage.Tdqls;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Worker;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Cli.Commands;

public static class BenchCommand
{
    public const string Help = """
        cybex-report bench [--events N] [--queries N] [--mode burst|closed] [--concurrency C]
                           [--related-percent P] [--idle-seconds S] [--via tdql|bus|both] [--json FILE] [--mongo URL]
          Seeds a scratch archive (3 orgs), writes TDQLs the way the API does (encrypted), runs the worker
          in this process on RabbitMQ and prints: reports/s, latency from TDQL insert to nonce (p50, p95, p99,
          max), database commands per report by type, commands while idle, CPU seconds and peak memory of
          this process and of the test database server (when tests/services.sh started it).
          --events N           archive size (default 300 events, about 800 documents)
          --queries N          queries to run (default 200)
          --mode burst|closed  all queries at once (default), or C clients each waiting for its nonce
          --concurrency C      clients in closed mode (default 8)
          --related-percent P  share of related level-1 queries, the rest count (default 30)
          --idle-seconds S     idle measurement after the run (default 10)
          --via tdql|bus|both  queries as TDQLs answered by nonce (default), as SubmitReportQuery messages
                               answered by response (latency from send to response), or both in one run
          --json FILE          also write the figures as JSON
          --reference-suite    run the original's five reference configurations one after another and print
                               them next to the original worker's figures, with ratios
        """;

    /// <summary>A bench run's shape.</summary>
    public sealed record BenchConfig(int Events, int Queries, string Mode, int Concurrency, int RelatedPercent, int IdleSeconds, string Via = "tdql");

    /// <summary>The original worker's figures (same kind of machine, same test server, 300 events).</summary>
    private static readonly (string Name, BenchConfig Config, double ReportsPerSecond, double? P50Ms)[] Reference =
    [
        ("burst of 50", new BenchConfig(300, 50, "burst", 1, 30, 0), 3.7, null),
        ("burst of 200", new BenchConfig(300, 200, "burst", 1, 30, 0), 13, 8600),
        ("closed loop, 1 client", new BenchConfig(300, 100, "closed", 1, 30, 0), 7.3, 128),
        ("closed loop, 8 clients", new BenchConfig(300, 200, "closed", 8, 30, 0), 9.8, 830),
        ("burst of 1000", new BenchConfig(300, 1000, "burst", 1, 30, 10), 4.4, 129_000),
    ];

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
        var via = args.Get("via") ?? "tdql";
        if (via is not ("tdql" or "bus" or "both")) throw new CliException("--via must be tdql, bus or both");
        var suite = args.Has("reference-suite");
        var jsonFile = args.Get("json");
        var mongoUrl = Common.MongoUrl(args);
        args.EnsureAllUsed();
        if (!suite)
        {
            var runs = new List<Dictionary<string, object?>>();
            foreach (var path in via == "both" ? ["tdql", "bus"] : new[] { via })
            {
                if (via == "both") Console.WriteLine($"== via {path}");
                runs.Add(await RunOneAsync(config with { Via = path }, mongoUrl, ct));
                Print(runs[^1]);
            }
            if (runs.Count == 2)
            {
                double Rps(int i) => (double)runs[i]["reports_per_second"]!;
                double P50(int i) => ((Dictionary<string, double>)runs[i]["latency_ms"]!)["p50"];
                Console.WriteLine($"bus vs tdql: {Rps(1) / Rps(0):0.0}x throughput, p50 {P50(1):0.0} ms vs {P50(0):0.0} ms");
            }
            if (jsonFile is not null) await File.WriteAllTextAsync(jsonFile, JsonSerializer.Serialize<object>(runs.Count == 1 ? runs[0] : runs, new JsonSerializerOptions { WriteIndented = true }), ct);
            return runs.All(r => (int)r["lost"]! == 0) ? 0 : 1;
        }

        // The original's reference runs, one after another in this process, side by side with its figures.
        var results = new List<Dictionary<string, object?>>();
        foreach (var (name, reference, _, _) in Reference)
        {
            Console.WriteLine($"== {name}");
            results.Add(await RunOneAsync(reference, mongoUrl, ct));
            Print(results[^1]);
        }
        Console.WriteLine();
        Console.WriteLine($"{"run",-24} {"original",-22} {"ours",-30} ratio");
        var lost = 0;
        for (var i = 0; i < Reference.Length; i++)
        {
            var (name, _, rps, p50) = Reference[i];
            var f = results[i];
            var ours = (double)f["reports_per_second"]!;
            var ourP50 = ((Dictionary<string, double>)f["latency_ms"]!)["p50"];
            lost += (int)f["lost"]!;
            var original = $"{rps} r/s" + (p50 is { } p ? $", p50 {p:0} ms" : "");
            var ratio = $"{ours / rps:0.0}x throughput" + (p50 is { } q ? $", latency 1/{q / ourP50:0.0}" : "");
            Console.WriteLine($"{name,-24} {original,-22} {$"{ours} r/s, p50 {ourP50:0} ms",-30} {ratio}");
        }
        if (jsonFile is not null) await File.WriteAllTextAsync(jsonFile, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }), ct);
        return lost == 0 ? 0 : 1;
    }

    private static async Task<Dictionary<string, object?>> RunOneAsync(BenchConfig config, string mongoUrl, CancellationToken ct)
    {
        var (events, queries, mode, concurrency, relatedPercent, idleSeconds, via) = config;
        await using var databases = new ScratchDatabases("bench", mongoUrl);
        var (scratch, options, mongo) = (databases.Name, databases.Options, databases.Mongo);
        await Common.PingAsync(mongo, ct);
        var clock = SystemClock.Instance;
        var archive = DemoArchive.Generate(events, 7, clock.GetCurrentInstant());
        var (privatePem, publicPem) = KeyPairs.Generate();
        var keyFile = Path.Combine(Path.GetTempPath(), scratch + ".pem");
        KeyPairs.WritePrivate(keyFile, privatePem);
        var commandsByType = new ConcurrentDictionary<string, ConcurrentBag<long>>();
        using var listener = ListenForReportCommands(commandsByType);
        IHost? worker = null;
        try
        {
            await ImportCommand.Upsert(mongo.Archive, archive.ArchiveDocs, ct);
            await ImportCommand.Upsert(mongo.Identity, archive.IdentityDocs, ct);
            Console.WriteLine($"archive: {archive.ArchiveDocs.Count} documents, {events} events, 3 orgs; {queries} queries, {mode}{(mode == "closed" ? $" x{concurrency}" : "")}, {relatedPercent}% related");
            worker = await InProcessWorker.StartAsync(InProcessWorker.Settings(options, keyFile, scratch + "-"), clock, ct: ct);
            var workerCounter = worker.Services.GetRequiredService<MongoContext>().Counter;
            var publicKey = QueryCipher.FromPem(publicPem);
            var submitter = new QuerySubmitter(new TdqlStore(mongo), publicKey, clock);
            var requests = worker.Services.GetRequiredService<IBus>().CreateRequestClient<Contracts.SubmitReportQuery>(MassTransit.RequestTimeout.After(m: 10));
            var plan = Plan(archive, queries, relatedPercent);
            var dbPid = DatabasePid();
            var dbCpuBefore = ProcessCpu(dbPid);
            var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var commandsBefore = workerCounter.Total;
            var latencies = new ConcurrentBag<double>();
            var progress = new Progress("bench", queries);
            var done = 0;
            var lost = 0;
            var wall = Stopwatch.StartNew();

            // The API double's writes share one client; its connection pool queues at most a few hundred operations.
            using var writers = new SemaphoreSlim(100);

            async Task RunOne((string Type, BsonDocument Qdata, string User) q)
            {
                if (via == "bus")
                {
                    var message = new Contracts.SubmitReportQuery(q.Type, publicKey.Encrypt(System.Text.Encoding.UTF8.GetBytes(Canonical.Of(q.Qdata))), true, archive.UserHashes[q.User]);
                    // Latency runs from the send to the response: there is no TDQL for a watcher to see first.
                    var timer = Stopwatch.StartNew();
                    var response = await requests.GetResponse<Contracts.ReportReady, Contracts.ReportRejected>(message, ct);
                    if (response.Is(out MassTransit.Response<Contracts.ReportReady>? _)) latencies.Add(timer.Elapsed.TotalMilliseconds);
                    else Interlocked.Increment(ref lost);
                    progress.Report(Interlocked.Increment(ref done));
                    return;
                }
                PendingQuery pendingQuery;
                await writers.WaitAsync(ct);
                try
                {
                    pendingQuery = await submitter.SubmitAsync(q.Type, q.Qdata, archive.UserHashes[q.User], ct);
                }
                finally
                {
                    writers.Release();
                }
                using var pending = pendingQuery;
                // Latency runs from the moment the TDQL is in the report database, as the watcher can first see it.
                var sw = Stopwatch.StartNew();
                if (await pending.WaitAsync(TimeSpan.FromSeconds(600), ct)) latencies.Add(sw.Elapsed.TotalMilliseconds);
                else Interlocked.Increment(ref lost);
                progress.Report(Interlocked.Increment(ref done));
            }

            if (mode == "burst")
            {
                await Task.WhenAll(plan.Select(RunOne));
            }
            else
            {
                var next = -1;
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < plan.Count) await RunOne(plan[i]);
                }));
            }
            wall.Stop();
            progress.Done();
            var runCommands = workerCounter.Total - commandsBefore;
            var cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
            var dbCpu = ProcessCpu(dbPid) - dbCpuBefore;
            // Let the watcher back off to its idle interval before measuring idle traffic.
            if (idleSeconds > 0) await Task.Delay(TimeSpan.FromSeconds(3), ct);
            var idleBefore = workerCounter.Total;
            if (idleSeconds > 0) await Task.Delay(TimeSpan.FromSeconds(idleSeconds), ct);
            double? idleRate = idleSeconds > 0 ? (workerCounter.Total - idleBefore) / (double)idleSeconds : null;

            var sorted = latencies.Order().ToList();
            var figures = new Dictionary<string, object?>
            {
                ["via"] = via, ["mode"] = mode, ["concurrency"] = mode == "closed" ? concurrency : null, ["queries"] = queries, ["answered"] = sorted.Count, ["lost"] = lost,
                ["archive_documents"] = archive.ArchiveDocs.Count, ["events"] = events,
                ["wall_seconds"] = Math.Round(wall.Elapsed.TotalSeconds, 3),
                ["reports_per_second"] = Math.Round(sorted.Count / wall.Elapsed.TotalSeconds, 2),
                ["latency_ms"] = new Dictionary<string, double>
                {
                    ["p50"] = Math.Round(ReplayRunner.Percentile(sorted, 0.50), 1), ["p95"] = Math.Round(ReplayRunner.Percentile(sorted, 0.95), 1),
                    ["p99"] = Math.Round(ReplayRunner.Percentile(sorted, 0.99), 1), ["max"] = Math.Round(sorted.LastOrDefault(), 1),
                },
                ["db_commands_per_report"] = commandsByType.ToDictionary(kv => kv.Key, kv =>
                {
                    var values = kv.Value.Order().ToList();
                    return new Dictionary<string, long> { ["median"] = values[values.Count / 2], ["max"] = values[^1] };
                }),
                ["db_commands_per_report_all_roles"] = Math.Round(runCommands / (double)Math.Max(1, sorted.Count), 2),
                ["db_commands_per_second_idle"] = idleRate is { } rate ? Math.Round(rate, 2) : null,
                ["process_cpu_seconds"] = Math.Round(cpu, 2),
                ["process_peak_memory_mb"] = Math.Round(self.PeakWorkingSet64 / 1048576.0, 1),
                ["database_server_cpu_seconds"] = dbPid is null ? null : Math.Round(dbCpu, 2),
            };
            return figures;
        }
        finally
        {
            if (worker is not null)
            {
                await worker.StopAsync(CancellationToken.None);
                worker.Dispose();
                await BrokerQueues.DeleteAsync(scratch + "-");
            }
            File.Delete(keyFile);
        }
    }

    /// <summary>
    /// Count and related-level-1 queries on attributes of the archive, by users in different orgs. A distinct
    /// <c>from</c> of a few epoch seconds keeps every TDQL distinct (the API folds identical queries of one
    /// hour into one TDQL) without changing any result.
    /// </summary>
    private static List<(string Type, BsonDocument Qdata, string User)> Plan(GeneratedArchive archive, int queries, int relatedPercent)
    {
        var rng = new Random(11);
        var attributes = archive.ArchiveDocs.Where(d => d["itype"] == "attribute" && QueryValidator.SubTypes.Contains(d["sub_type"].AsString)).ToList();
        var users = new[] { "alice", "bob", "carol" };
        var plan = new List<(string, BsonDocument, string)>();
        for (var i = 0; i < queries; i++)
        {
            var a = attributes[rng.Next(attributes.Count)];
            var related = rng.Next(100) < relatedPercent;
            var qdata = new BsonDocument { { "sub_type", a["sub_type"] }, { "data", a["data"] }, { "from", (i + 1).ToString(CultureInfo.InvariantCulture) } };
            if (related) qdata["level"] = 1;
            plan.Add((related ? "related" : "count", qdata, users[rng.Next(users.Length)]));
        }
        return plan;
    }

    private static MeterListener ListenForReportCommands(ConcurrentDictionary<string, ConcurrentBag<long>> byType)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkerMetrics.MeterName && instrument.Name == "cybex_report_db_commands") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var type = "other";
            foreach (var tag in tags) if (tag.Key == "type") type = tag.Value?.ToString() ?? "other";
            byType.GetOrAdd(type, _ => []).Add(value);
        });
        listener.Start();
        return listener;
    }

    private static int? DatabasePid()
    {
        var state = Environment.GetEnvironmentVariable("CYBEX_STATE");
        var file = state is null ? null : Path.Combine(state, "congodb.pid");
        return file is not null && File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    private static double ProcessCpu(int? pid)
    {
        if (pid is null) return 0;
        try
        {
            using var p = Process.GetProcessById(pid.Value);
            return p.TotalProcessorTime.TotalSeconds;
        }
        catch (ArgumentException)
        {
            return 0;
        }
    }

    private static void Print(Dictionary<string, object?> figures)
    {
        foreach (var (key, value) in figures)
        {
            var text = value switch
            {
                null => "n/a",
                Dictionary<string, double> d => string.Join(", ", d.Select(kv => $"{kv.Key} {kv.Value.ToString(CultureInfo.InvariantCulture)}")),
                Dictionary<string, Dictionary<string, long>> d => string.Join("; ", d.Select(kv => $"{kv.Key}: median {kv.Value["median"]}, max {kv.Value["max"]}")),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            Console.WriteLine($"{key,-34} {text}");
        }
    }
}
