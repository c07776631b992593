using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cybex.Report.Cli.Commands;
using Cybex.Report.Cli.Output;
using Cybex.Report.Contracts;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using MassTransit;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Cli.Bench;

/// <summary>
/// One bench run: a scratch archive, the worker as its own process (as deployed), queries written as the API writes
/// them (or sent on the bus), and what it cost whom.
/// </summary>
public static class BenchRunner
{
    public static async Task<BenchFigures> RunAsync(BenchConfig config, string mongoUrl, string? workerDirectory, TextWriter output, CancellationToken ct)
    {
        var (events, queries, mode, concurrency, relatedPercent, idleSeconds, via, _, workerCount, busHosts, _, _, tenants, maxInFlight) = config;
        await using var databases = new ScratchDatabases("bench", mongoUrl);
        var mongo = databases.Mongo;
        await Common.PingAsync(mongo, ct);
        var clock = SystemClock.Instance;
        var archive = DemoArchive.Generate(events, 7, clock.GetCurrentInstant());
        var (privatePem, publicPem) = KeyPairs.Generate();
        var keyFile = Path.Combine(Path.GetTempPath(), databases.Name + ".pem");
        KeyPairs.WritePrivate(keyFile, privatePem);
        var prefix = databases.Name + "-";
        var settings = InProcessWorker.Settings(databases.Options, keyFile, prefix);
        settings["Worker:PollIdleMilliseconds"] = "1000";
        // Bus queries carry user tokens as a client's would: the bench plays the API that issued them.
        var tokenSecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var secretFile = Path.Combine(Path.GetTempPath(), databases.Name + ".jwt-secret");
        await File.WriteAllTextAsync(secretFile, tokenSecret, ct);
        settings["Queries:TokenSecretFile"] = secretFile;
        var tokens = archive.UserHashes.ToDictionary(u => u.Key, u => ApiTokens.Issue(tokenSecret, u.Value));
        if (busHosts is not null) settings["Bus:Hosts:0"] = busHosts;
        if (maxInFlight is { } m) settings["Worker:MaxInFlightPerUser"] = m.ToString(CultureInfo.InvariantCulture);
        var workers = new List<(Process Process, int MetricsPort)>();
        IBusControl? bus = null;
        try
        {
            await SeedDemoCommand.WriteAsync(mongo, archive, "bench", ct);
            output.WriteLine($"archive: {archive.ArchiveDocs.Count} documents, {events} events, 3 orgs; {queries} queries via {via}{(via == "bus" ? "" : $" ({config.Arrival} arrival{(config.Rate is { } r ? $", {r}/s" : "")})")}, {mode}{(mode == "closed" ? $" x{concurrency}" : "")}, {relatedPercent}% related");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            for (var w = 0; w < workerCount; w++)
            {
                var (metricsPort, healthPort) = (FreePorts.Next(), FreePorts.Next());
                var own = new Dictionary<string, string?>(settings)
                {
                    ["Observability:MetricsPort"] = metricsPort.ToString(CultureInfo.InvariantCulture),
                    ["Observability:HealthPort"] = healthPort.ToString(CultureInfo.InvariantCulture),
                };
                var log = Environment.GetEnvironmentVariable("CYBEX_BENCH_WORKER_LOG") is { } l ? $"{l}.{w + 1}" : null;
                workers.Add((WorkerProcess.Start(own, log, workerDirectory), metricsPort));
                await WaitHealthyAsync(http, workers[^1].Process, healthPort, ct);
            }
            async Task<Dictionary<(string Role, string Collection), double>> CommandsAsync()
            {
                var total = new Dictionary<(string Role, string Collection), double>();
                foreach (var (_, port) in workers)
                {
                    foreach (var (key, n) in await WorkerScrape.CommandsAsync(http, port, ct)) total[key] = total.GetValueOrDefault(key) + n;
                }
                return total;
            }
            async Task<double?> JitSecondsAsync()
            {
                double? total = null;
                foreach (var (_, port) in workers) total = await WorkerScrape.JitSecondsAsync(http, port, ct) is { } s ? (total ?? 0) + s : total;
                return total;
            }
            TimeSpan WorkersCpu() => workers.Aggregate(TimeSpan.Zero, (sum, w) => sum + RefreshedCpu(w.Process));
            var publicKey = QueryCipher.FromPem(publicPem);
            var submitter = new QuerySubmitter(new TdqlStore(mongo), publicKey, clock);
            var writer = new ApiTdqlWriter(mongo);
            IRequestClient<SubmitReportQuery>? requests = null;
            if (via == "bus")
            {
                // The worker's own reading of the node list: the client connects where a worker would first.
                var (busHost, busPort) = new Worker.Options.BusOptions
                {
                    Host = settings["Bus:Host"]!, Port = int.Parse(settings["Bus:Port"]!, CultureInfo.InvariantCulture), Hosts = busHosts is null ? [] : [busHosts],
                }.Nodes()[0];
                bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(busHost, (ushort)busPort, "/", h =>
                {
                    h.Username(settings["Bus:Username"]!);
                    h.Password(settings["Bus:Password"]!);
                }));
                await bus.StartAsync(ct);
                requests = bus.CreateRequestClient<SubmitReportQuery>(RequestTimeout.After(m: 10));
            }
            var plan = Plan(archive, queries + config.Warmup, relatedPercent, tenants ? [Flooder] : ["alice", "bob", "carol"]);
            // A closed loop measures the steady state: its first queries (the worker's first consume, publish and
            // reply on each path) run before the window. A burst lands on a worker that has seen nothing.
            var warmup = plan.Take(config.Warmup).ToList();
            plan = plan.Skip(config.Warmup).ToList();
            // Prepared before the window (encryption, listeners): what the API does before it writes is not the worker's.
            var apiArrival = config.Arrival == "api";
            var prepared = via == "tdql" && mode == "burst" ? plan.Select(q => submitter.Prepare(q.Type, q.Qdata, archive.UserHashes[q.User])).ToList() : null;

            var dbPid = DatabasePid();
            var self = Process.GetCurrentProcess();
            var (workerCpu0, dbCpu0, selfCpu0) = (WorkersCpu(), ProcessCpu(dbPid), self.TotalProcessorTime);
            var commands0 = await CommandsAsync();
            var jit0 = await JitSecondsAsync();
            // (answered at, latency) in ms since the window opened: the plot's points.
            var latencies = new ConcurrentBag<(double At, double Ms)>();
            Progress? progress = null;
            var done = 0;
            var lost = 0;
            var wall = Stopwatch.StartNew();

            void Answered(double ms)
            {
                latencies.Add((wall.Elapsed.TotalMilliseconds, ms));
                progress?.Report(Interlocked.Increment(ref done));
            }

            void Lost()
            {
                Interlocked.Increment(ref lost);
                progress?.Report(Interlocked.Increment(ref done));
            }

            async Task WaitAsync(PendingQuery pending, Stopwatch since)
            {
                using var _ = pending;
                if (await pending.WaitAsync(TimeSpan.FromSeconds(600), ct)) Answered(since.Elapsed.TotalMilliseconds);
                else Lost();
            }

            Task WriteAsync(PreparedQuery one) => apiArrival ? writer.WriteLikeApiAsync(one, ct) : writer.WriteAsync([one], ct);

            async Task RunOne((string Type, BsonDocument Qdata, string User) q)
            {
                if (requests is not null)
                {
                    var message = new SubmitReportQuery(q.Type, publicKey.Encrypt(System.Text.Encoding.UTF8.GetBytes(Canonical.Of(q.Qdata))), true, Token: tokens[q.User]);
                    // Latency runs from the send to the response: there is no TDQL for a watcher to see first.
                    var timer = Stopwatch.StartNew();
                    var response = await requests.GetResponse<ReportReady, ReportRejected>(message, ct);
                    if (response.Is(out Response<ReportReady>? _)) Answered(timer.Elapsed.TotalMilliseconds);
                    else Lost();
                    return;
                }
                var one = submitter.Prepare(q.Type, q.Qdata, archive.UserHashes[q.User]);
                await WriteAsync(one);
                // Latency runs from the moment the TDQL is in the report database, as the watcher can first see it.
                await WaitAsync(one.Pending, Stopwatch.StartNew());
            }

            foreach (var q in warmup) await RunOne(q);
            // The lone user's own queries, numbered past the plan's so none is the same TDQL as another.
            var lonePlan = tenants ? Plan(archive, 1_000, 0, [LoneUser], first: plan.Count + config.Warmup + 1) : [];
            var loneNext = 0;
            var loneLatencies = new ConcurrentBag<(double At, double Ms)>();
            async Task<double> LoneAsync()
            {
                var q = lonePlan[loneNext++];
                var one = submitter.Prepare(q.Type, q.Qdata, archive.UserHashes[q.User]);
                using var _ = one.Pending;
                await writer.WriteLikeApiAsync(one, ct);
                var landed = Stopwatch.StartNew();
                return await one.Pending.WaitAsync(TimeSpan.FromSeconds(600), ct) ? landed.Elapsed.TotalMilliseconds : double.NaN;
            }
            var loneIdle = new List<double>();
            for (var i = 0; i < (tenants ? LoneIdleQueries : 0); i++) loneIdle.Add(await LoneAsync());
            progress = new Progress($"bench ({via}, {mode})", queries);
            (done, lost) = (0, 0);
            latencies.Clear();
            (workerCpu0, dbCpu0, selfCpu0) = (WorkersCpu(), ProcessCpu(dbPid), self.TotalProcessorTime);
            commands0 = await CommandsAsync();
            jit0 = await JitSecondsAsync();
            wall.Restart();
            TimeSpan? written = null;
            // A burst's first answer runs from its first TDQL landing (its first message sent) to the first answer of
            // any query. Under API arrival the shortest latency is not that: a query landing later, once the worker
            // is warm and keeping up, may be answered sooner after its own landing.
            double firstLandedMs = 0;
            var floodDone = new CancellationTokenSource();
            // One query a second from the lone user, from just after the flood begins to its end.
            var lone = !tenants ? Task.CompletedTask : Task.Run(async () =>
            {
                for (var i = 0; !floodDone.IsCancellationRequested; i++)
                {
                    if (TimeSpan.FromSeconds(0.5 + i) - wall.Elapsed is { Ticks: > 0 } ahead)
                    {
                        try
                        {
                            await Task.Delay(ahead, floodDone.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }
                    }
                    var ms = await LoneAsync();
                    loneLatencies.Add((wall.Elapsed.TotalMilliseconds, ms));
                }
            }, ct);
            if (prepared is not null && apiArrival)
            {
                // The API writes one query at a time (its request's TAHOE calls, one command per document), at --rate
                // or as fast as it can; each latency runs from its own TDQL landing.
                var waits = new List<Task>(prepared.Count);
                for (var i = 0; i < prepared.Count; i++)
                {
                    if (config.Rate is { } perSecond && TimeSpan.FromSeconds(i / perSecond) - wall.Elapsed is { Ticks: > 0 } ahead) await Task.Delay(ahead, ct);
                    var landed = Stopwatch.StartNew();
                    await writer.WriteLikeApiAsync(prepared[i], ct);
                    if (i == 0) firstLandedMs = wall.Elapsed.TotalMilliseconds;
                    waits.Add(WaitAsync(prepared[i].Pending, landed));
                }
                written = wall.Elapsed;
                await Task.WhenAll(waits);
            }
            else if (prepared is not null)
            {
                // The burst lands at once: one insert of every TDQL and the children the API had not stored yet.
                await writer.WriteAsync(prepared, ct);
                firstLandedMs = wall.Elapsed.TotalMilliseconds;
                var landed = Stopwatch.StartNew();
                await Task.WhenAll(prepared.Select(p => WaitAsync(p.Pending, landed)));
            }
            else if (mode == "burst")
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
            await floodDone.CancelAsync();
            await lone;
            progress.Dispose();
            var workerCpu = (WorkersCpu() - workerCpu0).TotalMilliseconds;
            var dbCpu = (ProcessCpu(dbPid) - dbCpu0) * 1000;
            var selfCpu = (self.TotalProcessorTime - selfCpu0).TotalMilliseconds;
            var commands = WorkerScrape.Since(await CommandsAsync(), commands0);
            var jitMs = await JitSecondsAsync() is { } jit && jit0 is { } j0 ? (jit - j0) * 1000 : (double?)null;

            double? idleRate = null;
            if (idleSeconds > 0)
            {
                // Let the watcher back off to its idle interval before measuring idle traffic.
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
                var idle0 = await CommandsAsync();
                await Task.Delay(TimeSpan.FromSeconds(idleSeconds), ct);
                idleRate = WorkerScrape.Since(await CommandsAsync(), idle0).Values.Sum() / idleSeconds;
            }

            var sorted = latencies.Select(l => l.Ms).Order().ToList();
            var answered = Math.Max(1, sorted.Count);
            double PerReport(double total) => Math.Round(total / answered, 2);
            return new BenchFigures(
                via, mode, via == "bus" ? null : config.Arrival, mode == "closed" ? concurrency : null, queries, sorted.Count, lost, archive.ArchiveDocs.Count,
                Math.Round(wall.Elapsed.TotalSeconds, 3),
                Math.Round(sorted.Count / wall.Elapsed.TotalSeconds, 2),
                Latency.Of(sorted),
                mode == "burst" && sorted.Count > 0 ? Math.Round(latencies.Min(l => l.At) - firstLandedMs, 1) : null,
                PerReport(workerCpu),
                dbPid is null ? null : PerReport(dbCpu),
                PerReport(selfCpu),
                commands.GroupBy(kv => kv.Key.Role).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => PerReport(g.Sum(kv => kv.Value))),
                PerReport(commands.Where(kv => kv.Key.Collection == $"{databases.Options.ReportDatabase}.{databases.Options.Collection}").Sum(kv => kv.Value)),
                PerReport(commands.Where(kv => kv.Key.Collection == $"{databases.Options.ReportDatabase}.report_leases").Sum(kv => kv.Value)),
                idleRate is { } rate ? Math.Round(rate, 2) : null,
                Math.Round(workers.Max(w => w.Process.PeakWorkingSet64) / 1048576.0, 1))
            {
                Samples = Samples(latencies),
                WorkerJitMsPerReport = jitMs is { } ms ? PerReport(ms) : null,
                CommandsPerReportByRoleAndCollection = commands.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key)
                    .ToDictionary(kv => $"{kv.Key.Role} {kv.Key.Collection}", kv => PerReport(kv.Value)),
                Tenants = tenants ? Tenant(loneIdle, loneLatencies) : null,
                ArrivalPerSecond = written is { TotalSeconds: > 0 } span ? Math.Round(prepared!.Count / span.TotalSeconds, 1) : null,
            };
        }
        finally
        {
            if (bus is not null) await bus.StopAsync(CancellationToken.None);
            foreach (var (worker, _) in workers)
            {
                if (!worker.HasExited) worker.Kill(entireProcessTree: true);
                await worker.WaitForExitAsync(CancellationToken.None);
                worker.Dispose();
            }
            await BrokerQueues.DeleteAsync(prefix);
            File.Delete(keyFile);
            File.Delete(secretFile);
        }
    }

    /// <summary>Who floods and who asks alone in <c>--tenants</c>: users of no common org (org-a; org-b and honeynet).</summary>
    private const string Flooder = "alice";
    private const string LoneUser = "carol";
    private const int LoneIdleQueries = 5;

    private static List<LatencySample> Samples(IEnumerable<(double At, double Ms)> latencies) =>
        latencies.OrderBy(l => l.At).Select(l => new LatencySample(Math.Round(l.At / 1000, 3), Math.Round(l.Ms, 2))).ToList();

    private static TenantFigures Tenant(List<double> idle, IReadOnlyCollection<(double At, double Ms)> during)
    {
        var idleMs = ReplayRunner.Percentile(idle.Order().ToList(), 0.5);
        var sorted = during.Select(l => l.Ms).Order().ToList();
        return new TenantFigures(sorted.Count, Math.Round(idleMs, 1), Latency.Of(sorted), Math.Round(sorted.LastOrDefault() / Math.Max(idleMs, 0.001), 2)) { Samples = Samples(during) };
    }

    private static TimeSpan RefreshedCpu(Process p)
    {
        p.Refresh();
        return p.TotalProcessorTime;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process worker, int port, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (worker.HasExited) throw new CliException($"the worker process exited with code {worker.ExitCode} (CYBEX_BENCH_WORKER_LOG=FILE keeps its output)", 4);
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}{Worker.Health.HealthEndpoints.Ready}", ct)).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200, ct);
        }
        throw new CliException("the worker process did not become healthy within 90 s", 4);
    }

    /// <summary>
    /// Count and related-level-1 queries on attributes of the archive, by users in different orgs. A distinct
    /// <c>from</c> of a few epoch seconds keeps every TDQL distinct (the API folds identical queries of one
    /// hour into one TDQL) without changing any result.
    /// </summary>
    private static List<(string Type, BsonDocument Qdata, string User)> Plan(GeneratedArchive archive, int queries, int relatedPercent, string[] users, int first = 1)
    {
        var rng = new Random(11);
        var attributes = archive.ArchiveDocs.Where(d => d["itype"] == "attribute" && QueryValidator.SubTypes.Contains(d["sub_type"].AsString)).ToList();
        var plan = new List<(string, BsonDocument, string)>();
        for (var i = 0; i < queries; i++)
        {
            var a = attributes[rng.Next(attributes.Count)];
            var related = rng.Next(100) < relatedPercent;
            var qdata = new BsonDocument { { "sub_type", a["sub_type"] }, { "data", a["data"] }, { "from", (first + i).ToString(CultureInfo.InvariantCulture) } };
            if (related) qdata["level"] = 1;
            plan.Add((related ? ReportTypes.Related : ReportTypes.Count, qdata, users[rng.Next(users.Length)]));
        }
        return plan;
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
}
