using Cybex.Report.Storage.Claims;
using Cybex.Report.Storage.Tdqls;
using System.Diagnostics;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// At least 500 queries while something breaks: every query must end ready or failed with its nonce
/// delivered, nothing may be duplicated in report_db, and the worker must still serve afterwards.
/// Needs the services of tests/services.sh (CYBEX_STATE names them), as tests/run.sh provides.
/// </summary>
[Trait("suite", "faults")]
public class FaultTests(ITestOutputHelper output)
{
    private static readonly int Queries = int.TryParse(Environment.GetEnvironmentVariable("CYBEX_FAULT_QUERIES"), out var n) ? n : 500;

    /// <summary>How tests/services.sh names the cluster's nodes (its CLUSTER_NODE_PREFIX), so two suites can run clusters side by side.</summary>
    private static readonly string ClusterNodePrefix = Environment.GetEnvironmentVariable("CLUSTER_NODE_PREFIX") ?? "rabbit-c";

    /// <summary>Node K's AMQP port is this plus K, its dashboard's 10 000 more (tests/services.sh's CLUSTER_PORT_BASE).</summary>
    private static readonly int ClusterPortBase = int.TryParse(Environment.GetEnvironmentVariable("CLUSTER_PORT_BASE"), out var b) ? b : 5680;

    private static void Services(string command)
    {
        var state = Environment.GetEnvironmentVariable("CYBEX_STATE")
            ?? throw new InvalidOperationException("CYBEX_STATE is not set: run the fault suite through tests/run.sh");
        var info = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot.Path, "tests", "services.sh"), .. command.Split(' ')]) { RedirectStandardError = true, RedirectStandardOutput = true };
        info.Environment["CYBEX_STATE"] = state;
        using var p = Process.Start(info)!;
        p.WaitForExit(120_000);
        if (p.ExitCode != 0) throw new InvalidOperationException($"services.sh {command} failed: {p.StandardError.ReadToEnd()}");
    }

    /// <summary>Distinct queries, numbered from <paramref name="first"/> on (the same number is the same TDQL).</summary>
    private static async Task<List<PendingQuery>> SubmitManyAsync(TestEnvironment env, int queries, int first = 0)
    {
        var users = new[] { "alice", "bob", "carol" };
        var pending = new List<PendingQuery>();
        for (var i = first; i < first + queries; i++)
        {
            pending.Add(await env.Submitter.SubmitTextAsync(i % 4 == 0 ? "related" : "count", TestEnvironment.CountText(i + 1), env.UserId(users[i % 3]), CancellationToken.None));
        }
        return pending;
    }

    private static async Task WaitForAnswersAsync(IReadOnlyList<Task<bool>> waits, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (waits.Count(w => w.IsCompleted) < count && DateTime.UtcNow < deadline) await Task.Delay(50);
    }

    private async Task AssertEveryQueryAnsweredOnceAsync(TestEnvironment env, List<PendingQuery> pending, List<Task<bool>> waits)
    {
        var arrived = await Task.WhenAll(waits);
        output.WriteLine($"nonces delivered: {arrived.Count(a => a)}/{arrived.Length}");
        Assert.All(arrived, Assert.True);
        var store = new TdqlStore(env.Mongo);
        foreach (var p in pending)
        {
            var tdql = (await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql;
            Assert.True(tdql.IsFinished, $"TDQL {tdql.Hash} is {tdql.Status}");
            Assert.NotNull(await store.FindReportAsync(tdql.ReportId, CancellationToken.None));
        }
        var hashes = (await env.Mongo.ReportDb.Find(Builders<BsonDocument>.Filter.Exists("_hash") & Builders<BsonDocument>.Filter.Exists(Storage.Tdqls.TdqlFilters.MalformedField, false))
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Exclude("_id")).ToListAsync()).Select(d => d["_hash"].AsString).ToList();
        Assert.Equal(hashes.Count, hashes.Distinct().Count());
    }

    /// <summary>No second nonce arrives at any query during a grace period after its first.</summary>
    private static async Task AssertEachGotOneNonceAsync(List<PendingQuery> pending)
    {
        await Task.WhenAll(pending.Select(p => p.DrainAsync(TimeSpan.FromSeconds(2), CancellationToken.None)));
        Assert.All(pending, p => Assert.Equal(1, p.NoncesReceived));
    }

    private static async Task AssertStillServingAsync(TestEnvironment env)
    {
        using var after = await env.Submitter.SubmitTextAsync("count", """{"data": "\"198.51.100.7\"", "sub_type": "\"ipv4\""}""", env.UserId("alice"), CancellationToken.None);
        Assert.True(await after.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "the worker no longer serves");
    }

    private async Task RunAsync(Func<TestEnvironment, List<PendingQuery>, Task> fault, bool workerProcess = false)
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        if (workerProcess) env.StartWorkerProcess(concurrency: 4);
        // Small claim batches keep the watcher claiming and publishing while the fault hits (the CI failure this
        // suite once caught: a publish held by MassTransit during a broker outage stalled the watcher).
        else await env.StartWorkerAsync(s => { s["Worker:ConcurrentMessageLimit"] = "16"; s["Worker:ClaimBatch"] = "5"; });
        var pending = await SubmitManyAsync(env, Queries);
        try
        {
            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(240), CancellationToken.None)).ToList();
            await WaitForAnswersAsync(waits, Queries / 10);
            await fault(env, pending);
            await AssertEveryQueryAnsweredOnceAsync(env, pending, waits);
            await AssertStillServingAsync(env);
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }

    [Fact]
    public Task Worker_killed_mid_run_loses_nothing_once_another_starts() => RunAsync(async (env, pending) =>
    {
        var first = env.StartWorkerProcessesSoFar().Single();
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        env.StartWorkerProcess(concurrency: 16);
    }, workerProcess: true);

    /// <summary>Settings of a process that only sends replies.</summary>
    private static void RepliesOnly(Dictionary<string, string?> s)
    {
        s["Worker:Watcher"] = "false";
        s["Worker:ReportConsumer"] = "false";
        s["Worker:QueryConsumer"] = "false";
    }

    private static async Task UntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await done())
        {
            if (waited.Elapsed > timeout) Assert.Fail($"{what} did not happen within {timeout.TotalSeconds:F0} s");
            await Task.Delay(20);
        }
    }

    /// <summary>A worker process whose consumers are up (its /health/ready answers 200).</summary>
    private static async Task<Process> StartReadyWorkerProcessAsync(TestEnvironment env, Action<Dictionary<string, string?>> tweak, TimeSpan timeout)
    {
        var health = FreePorts.Next();
        var process = env.StartWorkerProcess(concurrency: 4, s =>
        {
            tweak(s);
            s["Observability:HealthPort"] = health.ToString();
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await UntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync($"http://127.0.0.1:{health}{Health.HealthEndpoints.Ready}")).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, timeout, "a worker process's readiness");
        return process;
    }

    private static async Task<long> ReadyCountAsync(TestEnvironment env) =>
        (await new Storage.Status.ReportDbStatus(env.Mongo, env.Clock).SummaryAsync(CancellationToken.None)).ByStatus.GetValueOrDefault(Tdql.StatusReady);

    [Fact]
    public async Task Worker_killed_while_the_reply_queue_is_seconds_behind_the_leases_loses_nothing_once_another_starts()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var before = await ReadyCountAsync(env);
        // The reply queue exists and has lost its consumer: completions queue up while the leases of the answered
        // TDQLs run out (4 s) and the watcher announces their owed replies again.
        var replies = await StartReadyWorkerProcessAsync(env, RepliesOnly, TimeSpan.FromSeconds(60));
        replies.Kill(entireProcessTree: true);
        await replies.WaitForExitAsync();
        var first = env.StartWorkerProcess(concurrency: 4, s => s["Worker:ReplyConsumer"] = "false");
        var pending = await SubmitManyAsync(env, Queries / 2);
        try
        {
            await UntilAsync(async () => await ReadyCountAsync(env) - before >= Queries / 2, TimeSpan.FromSeconds(120), "the first half's reports");
            await Task.Delay(TimeSpan.FromSeconds(6));
            // Then a backlog of requests, and the kill in the middle of it.
            pending.AddRange(await SubmitManyAsync(env, Queries - Queries / 2, first: Queries / 2));
            await UntilAsync(async () => await ReadyCountAsync(env) - before >= Queries / 2 + Queries / 20, TimeSpan.FromSeconds(120), "the second half's first reports");
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
            env.StartWorkerProcess(concurrency: 16);

            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(240), CancellationToken.None)).ToList();
            await AssertEveryQueryAnsweredOnceAsync(env, pending, waits);
            await AssertEachGotOneNonceAsync(pending);
            await AssertStillServingAsync(env);
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }

    [Fact]
    public async Task A_reply_cut_off_by_a_crash_goes_out_again_within_the_APIs_five_second_wait()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        env.StartWorkerProcess(concurrency: 4, s => s["Worker:ReplyConsumer"] = "false");
        // The sender's connections are refused and it waits 5 s before each further one: the crash comes in between,
        // with the reply taken and not sent.
        var sender = env.StartWorkerProcess(concurrency: 4, s =>
        {
            RepliesOnly(s);
            s["Api:ReplyAttempts"] = "3";
            s["Api:ReplyRetryMilliseconds"] = "5000";
        });
        using var query = await env.Submitter.SubmitTextAsync("count", """{"data": "\"198.51.100.7\"", "sub_type": "\"ipv4\""}""", env.UserId("alice"), CancellationToken.None);
        query.StopListening();
        var taken = Builders<BsonDocument>.Filter.Eq(Leases.Tdql, query.TdqlHash) & Builders<BsonDocument>.Filter.Exists(Leases.SendingUntil);
        await UntilAsync(async () => await env.Mongo.Leases.CountDocumentsAsync(taken) > 0, TimeSpan.FromSeconds(60), "the reply's take");

        // A second reply consumer, ready before the crash, as in any deployment of more than one.
        await StartReadyWorkerProcessAsync(env, RepliesOnly, TimeSpan.FromSeconds(9));

        sender.Kill(entireProcessTree: true);
        var sinceCrash = Stopwatch.StartNew();
        query.StartListening();
        Assert.True(await query.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None), "the reply did not go out within 5 s of its sender's crash");
        output.WriteLine($"nonce sent {sinceCrash.Elapsed.TotalSeconds:F2} s after its sender's crash");
        await query.DrainAsync(TimeSpan.FromSeconds(3), CancellationToken.None);
        Assert.Equal(1, query.NoncesReceived);
    }

    [Fact]
    public Task Broker_stopped_for_ten_seconds_loses_nothing() => RunAsync(async (_, _) =>
    {
        Services("rabbitmq-stop");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Services("rabbitmq-start");
        }
    });

    [Fact]
    public async Task Queries_claimed_while_the_broker_is_down_are_announced_once_it_returns()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        await AssertStillServingAsync(env);
        Services("rabbitmq-stop");
        List<PendingQuery> pending;
        try
        {
            // The watcher claims these while it cannot publish: its announcements must not be lost or stall it.
            pending = await SubmitManyAsync(env, 20);
            await Task.Delay(TimeSpan.FromSeconds(8));
        }
        finally
        {
            Services("rabbitmq-start");
        }
        try
        {
            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(150), CancellationToken.None)).ToList();
            await AssertEveryQueryAnsweredOnceAsync(env, pending, waits);
            await AssertStillServingAsync(env);
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }

    [Fact]
    public Task Database_stalled_for_five_seconds_loses_nothing() => RunAsync(async (_, _) =>
    {
        Services("congodb-pause");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        finally
        {
            Services("congodb-resume");
        }
    });

    [Fact]
    public async Task Readiness_reports_a_stalled_database_and_a_stopped_broker_and_recovers_from_both()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var port = FreePorts.Next();
        await env.StartWorkerAsync(s => s["Observability:HealthPort"] = port.ToString());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

        async Task<(System.Net.HttpStatusCode Code, System.Text.Json.JsonElement Checks)> ReadyAsync()
        {
            var response = await http.GetAsync($"http://127.0.0.1:{port}{Health.HealthEndpoints.Ready}");
            using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (response.StatusCode, body.RootElement.GetProperty("checks").Clone());
        }

        async Task EventuallyAsync(System.Net.HttpStatusCode expected, string check, string status)
        {
            var waited = Stopwatch.StartNew();
            var last = "";
            while (waited.Elapsed < TimeSpan.FromSeconds(90))
            {
                var (code, checks) = await ReadyAsync();
                last = $"{code} {checks}";
                if (code == expected && checks.GetProperty(check).GetProperty("status").GetString() == status) return;
                await Task.Delay(500);
            }
            Assert.Fail($"/health/ready never became {expected} with {check} {status}; last: {last}");
        }

        await EventuallyAsync(System.Net.HttpStatusCode.OK, "mongo", "Healthy");
        Services("congodb-pause");
        try
        {
            await EventuallyAsync(System.Net.HttpStatusCode.ServiceUnavailable, "mongo", "Unhealthy");
            // Liveness runs no check: a database outage is no reason to restart the worker.
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}{Health.HealthEndpoints.Live}")).StatusCode);
        }
        finally
        {
            Services("congodb-resume");
        }
        await EventuallyAsync(System.Net.HttpStatusCode.OK, "mongo", "Healthy");

        Services("rabbitmq-stop");
        try
        {
            // MassTransit's own check only degrades; the consumer endpoints' check makes the worker unready.
            await EventuallyAsync(System.Net.HttpStatusCode.ServiceUnavailable, "consumers", "Unhealthy");
        }
        finally
        {
            Services("rabbitmq-start");
        }
        await EventuallyAsync(System.Net.HttpStatusCode.OK, "consumers", "Healthy");
        await AssertStillServingAsync(env);
    }

    [Fact]
    public async Task Api_listeners_gone_for_ten_seconds_get_their_replies_given_up_and_nothing_else_is_held_up()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync(s => { s["Worker:ConcurrentMessageLimit"] = "16"; s["Worker:ClaimBatch"] = "5"; });
        var pending = await SubmitManyAsync(env, Queries);
        try
        {
            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(240), CancellationToken.None)).ToList();
            await WaitForAnswersAsync(waits, Queries / 10);
            // The API waits 5 s on each socket: a listener that is gone means the API gave up, and a reply to it is
            // given up too (after one quick second try), recorded, and never retried for minutes.
            foreach (var p in pending) p.StopListening();
            await Task.Delay(TimeSpan.FromSeconds(10));
            foreach (var p in pending) p.StartListening();

            var store = new TdqlStore(env.Mongo);
            var status = new Storage.Status.ReportDbStatus(env.Mongo, env.Clock);
            var deadline = DateTime.UtcNow.AddSeconds(180);
            long undelivered = 0;
            while (DateTime.UtcNow < deadline)
            {
                undelivered = (await status.SummaryAsync(CancellationToken.None)).UndeliveredReplies;
                if (waits.Count(w => w.IsCompleted && w.Result) + undelivered >= Queries) break;
                await Task.Delay(200);
            }
            var delivered = waits.Count(w => w.IsCompleted && w.Result);
            output.WriteLine($"nonces delivered: {delivered}, replies given up: {undelivered}, of {Queries}");
            Assert.Equal(Queries, delivered + undelivered);
            Assert.True(undelivered > 0, "no reply met a closed listener: the fault did not hit");
            foreach (var p in pending)
            {
                var tdql = (await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql;
                Assert.True(tdql.IsFinished, $"TDQL {tdql.Hash} is {tdql.Status}");
                Assert.NotNull(await store.FindReportAsync(tdql.ReportId, CancellationToken.None));
                Assert.True(p.NoncesReceived <= 1, $"TDQL {tdql.Hash} got {p.NoncesReceived} nonces");
            }
            await AssertStillServingAsync(env);
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }

    [Fact]
    public async Task A_poison_a_duplicated_and_a_bad_hash_tdql_among_500_leave_every_good_query_one_nonce()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var socket = new TdqlSocket("0.0.0.0", 9, "0123456789abcdef0123456789abcdef");
        var (poison, _) = TdqlDocuments.Build("count", new string('1', 64), "b'{}'", env.UserId("alice"), env.Fixture.FrozenNow, false, Tdql.StatusWait, socket);
        poison["_cref"].AsBsonArray[0] = 5;
        var (badHash, _) = TdqlDocuments.Build("count", new string('2', 64), "b'{}'", env.UserId("alice"), env.Fixture.FrozenNow, false, Tdql.StatusWait, socket);
        badHash["_hash"] = badHash["_hash"].AsString.ToUpperInvariant();
        await env.Mongo.ReportDb.InsertManyAsync([poison, badHash]);
        using var twin = await env.Submitter.SubmitTextAsync("count", """{"data": "\"198.51.100.7\"", "sub_type": "\"ipv4\""}""", env.UserId("bob"), CancellationToken.None);
        var copy = (await env.Mongo.ReportDb.Find(TdqlFilters.Of(twin.TdqlHash)).SingleAsync()).DeepClone().AsBsonDocument;
        copy.Remove("_id");
        await env.Mongo.ReportDb.InsertOneAsync(copy);
        await env.StartWorkerAsync(s => { s["Worker:ConcurrentMessageLimit"] = "16"; s["Worker:ClaimBatch"] = "5"; });
        var pending = await SubmitManyAsync(env, Queries);
        pending.Add(twin);
        try
        {
            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(240), CancellationToken.None)).ToList();
            await AssertEveryQueryAnsweredOnceAsync(env, pending, waits);
            await AssertEachGotOneNonceAsync(pending);
            Assert.Equal(3, await env.Mongo.ReportDb.CountDocumentsAsync(Builders<BsonDocument>.Filter.Exists(Storage.Tdqls.TdqlFilters.MalformedField)));
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }

    /// <summary>The cluster's nodes, started for one test and stopped after it, whatever the outcome.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private Cluster(IReadOnlyList<string> hosts, IReadOnlyList<string> management) => (Hosts, Management) = (hosts, management);

        public IReadOnlyList<string> Hosts { get; }

        public IReadOnlyList<string> Management { get; }

        public static Cluster Start(int nodes)
        {
            Services($"cluster-start {nodes}");
            var ports = Enumerable.Range(1, nodes).ToList();
            return new Cluster(ports.Select(k => $"127.0.0.1:{ClusterPortBase + k}").ToList(), ports.Select(k => $"http://127.0.0.1:{ClusterPortBase + 10000 + k}/").ToList());
        }

        public void Worker(Dictionary<string, string?> settings)
        {
            for (var i = 0; i < Hosts.Count; i++) settings[$"Bus:Hosts:{i}"] = Hosts[i];
        }

        /// <summary>The node (1-based) that leads a quorum queue, asked of any node that answers, and the queue as the broker describes it.</summary>
        public async Task<(int Leader, System.Text.Json.JsonElement Queue)> LeaderOfAsync(string queue)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
            for (var attempt = 0; attempt < 100; attempt++)
            {
                foreach (var api in Management)
                {
                    try
                    {
                        var json = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"{api}api/queues/%2F/{Uri.EscapeDataString(queue)}"));
                        if (json.RootElement.TryGetProperty("leader", out var leader) && leader.GetString() is { } name && name.StartsWith(ClusterNodePrefix))
                        {
                            return (int.Parse(name[ClusterNodePrefix.Length..name.IndexOf('@')]), json.RootElement.Clone());
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                    }
                }
                await Task.Delay(200);
            }
            throw new InvalidOperationException($"no node names a leader of {queue}");
        }

        public ValueTask DisposeAsync()
        {
            Services("cluster-stop");
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task The_node_leading_the_request_queue_killed_mid_run_loses_nothing_on_a_three_node_cluster()
    {
        await using var cluster = Cluster.Start(3);
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        for (var i = 0; i < 3; i++) env.StartWorkerProcess(concurrency: 8, cluster.Worker);
        var (leader, queue) = await cluster.LeaderOfAsync(env.Prefix + Reporting.ReportRequestedConsumerDefinition.Queue);
        output.WriteLine($"report-requested is led by {ClusterNodePrefix}{leader}");
        // A quorum queue, replicated on all three nodes, whose delivery limit bounds a message that kills its consumers.
        Assert.Equal("quorum", queue.GetProperty("type").GetString());
        Assert.Equal(3, queue.GetProperty("members").GetArrayLength());
        Assert.Equal(20, queue.GetProperty("arguments").GetProperty("x-delivery-limit").GetInt32());
        var pending = await SubmitManyAsync(env, Queries);
        try
        {
            var clock = Stopwatch.StartNew();
            var answeredAt = new System.Collections.Concurrent.ConcurrentBag<double>();
            var waits = pending.Select(async p =>
            {
                var ok = await p.WaitAsync(TimeSpan.FromSeconds(300), CancellationToken.None);
                answeredAt.Add(clock.Elapsed.TotalSeconds);
                return ok;
            }).ToList();
            await WaitForAnswersAsync(waits, Queries / 5);
            Services($"node-kill {leader}");
            var killedAt = clock.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(15));
            Services($"node-start {leader}");

            await AssertEveryQueryAnsweredOnceAsync(env, pending, waits);
            // How long the answers stopped: the longest gap between two answers from the kill on.
            var times = answeredAt.Where(t => t >= killedAt).Prepend(killedAt).Order().ToList();
            var stall = times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
            output.WriteLine($"first answer {(times.Count > 1 ? times[1] - killedAt : double.NaN):F1} s after the kill, longest pause in answers after it {stall:F1} s; {answeredAt.Count(t => t < killedAt)} answered before it");
            await AssertStillServingAsync(env);
            Assert.All(env.StartWorkerProcessesSoFar(), p => Assert.False(p.HasExited, "a worker process died"));
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }

    [Fact]
    public async Task A_rolling_restart_of_all_three_nodes_loses_nothing()
    {
        await using var cluster = Cluster.Start(3);
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        for (var i = 0; i < 3; i++) env.StartWorkerProcess(concurrency: 8, cluster.Worker);
        await cluster.LeaderOfAsync(env.Prefix + Reporting.ReportRequestedConsumerDefinition.Queue);
        var pending = await SubmitManyAsync(env, Math.Min(Queries, 300));
        try
        {
            var waits = pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(300), CancellationToken.None)).ToList();
            await WaitForAnswersAsync(waits, pending.Count / 10);
            for (var k = 1; k <= 3; k++)
            {
                Services($"node-stop {k}");
                Services($"node-start {k}");
            }

            await AssertEveryQueryAnsweredOnceAsync(env, pending, waits);
            await AssertStillServingAsync(env);
            Assert.All(env.StartWorkerProcessesSoFar(), p => Assert.False(p.HasExited, "a worker process died"));
        }
        finally
        {
            foreach (var p in pending) p.Dispose();
        }
    }
}
