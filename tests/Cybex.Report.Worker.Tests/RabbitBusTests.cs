using Cybex.Report.Domain.Queries;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Worker.Tests;

/// <summary>The whole pipeline over the real RabbitMQ broker and the Mongo-compatible server.</summary>
public class RabbitBusTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("small.json")]
    [InlineData("medium.json")]
    public async Task Replay_with_worker_answers_every_fixture_query_like_the_original(string name)
    {
        var file = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), name));
        var log = new StringWriter();
        var result = await new ReplayRunner(TestEnvironment.MongoUrl, log).RunAsync(file, withWorker: true, target: null, CancellationToken.None);
        output.WriteLine(log.ToString());
        output.WriteLine(result.Summary);
        Assert.Equal(0, result.Failed);
        Assert.Equal(result.Total, result.Nonces);
        Assert.True(result.Total > 150);
    }

    private static readonly string[] QueryTexts =
    [
        """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""",
        """{"data": "\"203.0.113.45\"", "level": "2", "sub_type": "\"ipv4\""}""",
        """{"_hash": "\"6ee89b22ca5d165e12cd4ee680a3c2255c306994be4c67be0ecde550cf5899ac\""}""",
        """{"sub_type": "\"md5\""}""",
    ];

    private static readonly string[] QueryTypes = ["count", "related", "threatrank", "count"];

    /// <summary>Reports a queue without consumers a few times, as the broker does for an endpoint MassTransit lost.</summary>
    private sealed class SilentQueueProbe(string queue, int silentAnswers) : Health.IQueueConsumerProbe
    {
        private int _asked;

        public Task<uint?> ConsumersAsync(string q, CancellationToken ct) =>
            Task.FromResult<uint?>(q == queue && Interlocked.Increment(ref _asked) <= silentAnswers ? 0u : 1u);

        public Task<bool?> ExchangeExistsAsync(string exchange, CancellationToken ct) => Task.FromResult<bool?>(true);

        public Task<bool?> RoutesAsync(string exchange, CancellationToken ct) => Task.FromResult<bool?>(true);
    }

    [Fact]
    public async Task A_consumed_queue_left_without_consumer_gets_the_bus_restarted_and_served_again()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var host = await env.StartWorkerAsync(
            s =>
            {
                s["Bus:WatchdogIntervalSeconds"] = "1";
                s["Bus:WatchdogRestartAfterSeconds"] = "2";
            },
            services => services.AddSingleton<Health.IQueueConsumerProbe>(new SilentQueueProbe(env.Prefix + "report-reply", 4)));
        var watchdog = host.Services.GetRequiredService<Health.ConsumerWatchdog>();
        Assert.Equal([env.Prefix + "report-requested", env.Prefix + "report-reply", env.Prefix + "submit-report-query"], watchdog.Queues);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (watchdog.Restarts == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(1, watchdog.Restarts);

        using var pending = await env.Submitter.SubmitTextAsync("count", QueryTexts[0], env.UserId("alice"), CancellationToken.None);
        Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "no reply after the bus restart");
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(1, watchdog.Restarts);
    }

    [Theory]
    [InlineData("deleted")]
    [InlineData("unbound")]
    public async Task A_query_exchange_deleted_or_unbound_makes_the_worker_unready_until_the_watchdog_declares_it_again(string loss)
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var healthPort = FreePorts.Next();
        var host = await env.StartWorkerAsync(s =>
        {
            s["Worker:Watcher"] = "false";
            s["Observability:HealthPort"] = healthPort.ToString();
            s["Bus:WatchdogIntervalSeconds"] = "1";
            s["Bus:WatchdogRestartAfterSeconds"] = "6";
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<System.Net.HttpStatusCode> ReadyAfterAsync(System.Net.HttpStatusCode wanted, int seconds)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            System.Net.HttpStatusCode status;
            while ((status = (await http.GetAsync($"http://127.0.0.1:{healthPort}{Health.HealthEndpoints.Ready}")).StatusCode) != wanted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            return status;
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, await ReadyAfterAsync(System.Net.HttpStatusCode.OK, 30));

        using (var api = BrokerQueues.Management())
        {
            var exchange = Uri.EscapeDataString(Querying.SubmitReportQueryConsumerDefinition.Exchange);
            // "~" is the management API's name for a binding with an empty routing key and no arguments.
            (await api.DeleteAsync(loss == "deleted"
                ? $"api/exchanges/%2F/{exchange}"
                : $"api/bindings/%2F/e/{exchange}/e/{Uri.EscapeDataString(env.Prefix + Querying.SubmitReportQueryConsumerDefinition.Queue)}/~")).EnsureSuccessStatusCode();
        }

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, await ReadyAfterAsync(System.Net.HttpStatusCode.ServiceUnavailable, 5));
        Assert.Equal(System.Net.HttpStatusCode.OK, await ReadyAfterAsync(System.Net.HttpStatusCode.OK, 60));
        using var scope = host.Services.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<MassTransit.IRequestClient<Contracts.SubmitReportQuery>>();
        var query = new Contracts.SubmitReportQuery("count", QueryCipher.FromPem(File.ReadAllText(env.PrivateKeyFile)).Encrypt(System.Text.Encoding.UTF8.GetBytes(QueryTexts[0])), true,
            Token: env.Token("alice"));
        var response = await client.GetResponse<Contracts.ReportReady, Contracts.ReportRejected>(query, timeout: MassTransit.RequestTimeout.After(s: 30));
        Assert.True(response.Is(out MassTransit.Response<Contracts.ReportReady>? _), "the door did not answer after the restart");
    }

    [Fact]
    public async Task Two_worker_hosts_on_the_same_queues_answer_each_query_exactly_once()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        await env.StartWorkerAsync();
        var users = new[] { "alice", "bob", "carol", "dave" };
        var pending = new List<PendingQuery>();
        // Distinct (type, text, user) triples: identical ones would share one TDQL, as in the API.
        for (var i = 0; i < QueryTexts.Length; i++)
        {
            foreach (var user in users) pending.Add(await env.Submitter.SubmitTextAsync(QueryTypes[i], QueryTexts[i], env.UserId(user), CancellationToken.None));
        }
        var arrived = await Task.WhenAll(pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None)));
        Assert.All(arrived, Assert.True);
        await Task.WhenAll(pending.Select(p => p.DrainAsync(TimeSpan.FromSeconds(2), CancellationToken.None)));
        Assert.All(pending, p => Assert.Equal(1, p.NoncesReceived));

        var store = new TdqlStore(env.Mongo);
        var statuses = new List<string>();
        foreach (var p in pending)
        {
            var tdql = (await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql;
            statuses.Add(tdql.Status);
            Assert.NotNull(await store.FindReportAsync(tdql.ReportId, CancellationToken.None));
            p.Dispose();
        }
        Assert.Contains(Tdql.StatusReady, statuses);
        Assert.Contains(Tdql.StatusFailed, statuses);
        // Threatrank for alice on her org's event answers with D2's value.
        var threatrank = await store.FindReportAsync(
            (await store.FindAsync(pending[2 * users.Length].TdqlHash, CancellationToken.None))!.Tdql.ReportId, CancellationToken.None);
        Assert.Equal(-0.009446613037837615, threatrank!["data"].ToDouble(), 12);
    }

    [Fact]
    public async Task A_refused_reply_target_leaves_the_report_ready_and_readable()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        // A forged TDQL aims the reply at a host that is not the API.
        var (doc, children) = TdqlDocuments.Build("count", new string('0', 64), PyBytesLiteral.Format(System.Text.Encoding.UTF8.GetBytes(QueryTexts[0])),
            env.UserId("alice"), env.Fixture.FrozenNow, false, Tdql.StatusWait, new TdqlSocket("192.0.2.1", 9, "0123456789abcdef0123456789abcdef"));
        var store = new TdqlStore(env.Mongo);
        await store.InsertTdqlAsync(doc, children, CancellationToken.None);
        var pending = new { TdqlHash = doc["_hash"].AsString };
        Tdql? tdql = null;
        for (var i = 0; i < 100 && tdql?.IsFinished != true; i++)
        {
            await Task.Delay(100);
            tdql = (await store.FindAsync(pending.TdqlHash, CancellationToken.None))!.Tdql;
        }
        Assert.Equal(Tdql.StatusReady, tdql!.Status);
        Assert.Equal(3, (await store.FindReportAsync(tdql.ReportId, CancellationToken.None))!["data"].ToInt32());
    }
}
