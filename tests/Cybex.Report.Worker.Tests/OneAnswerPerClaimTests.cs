using System.Net;
using System.Net.Sockets;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Domain.Tahoe;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// One report and one nonce per claim over the real broker, whatever is redelivered, duplicated or re-claimed; and
/// what can never succeed ends failed and is told, once.
/// </summary>
public class OneAnswerPerClaimTests(ITestOutputHelper output)
{
    private static async Task<long> ReportsAsync(TestEnvironment env) => await env.Mongo.ReportDb.CountDocumentsAsync(new BsonDocument("itype", "report"));

    /// <summary>A worker without a watcher, and one query of alice's that the test claims as a watcher would.</summary>
    private static async Task<(IBus Bus, PendingQuery Pending, ClaimProtocol Claims, Claim Claim)> ClaimedQueryAsync(TestEnvironment env)
    {
        await env.LoadFixtureAsync();
        var host = await env.StartWorkerAsync(s => s["Worker:Watcher"] = "false");
        var pending = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(1), env.UserId("alice"), CancellationToken.None);
        var claims = ClaimStore.Protocol(env.Mongo, env.Clock);
        var claim = Assert.Single((await claims.ClaimBatchAsync(await new TdqlStore(env.Mongo).WaitingAsync(10, CancellationToken.None), Duration.FromMinutes(5), 1, CancellationToken.None)).Won);
        return (host.Services.GetRequiredService<IBus>(), pending, claims, claim);
    }

    [Fact]
    public async Task Copies_of_one_request_and_a_request_nobody_claimed_send_one_nonce()
    {
        await using var env = new TestEnvironment();
        var (bus, pending, _, claim) = await ClaimedQueryAsync(env);
        using var _ = pending;
        var request = new ReportRequested(claim.TdqlHash, claim.ClaimId, DateTimeOffset.UtcNow, claim.Attempt);

        // Three copies of the claimed request (each with a message id of its own, as a republish would have) and a
        // forged one for the same TDQL.
        await Task.WhenAll(bus.Publish(request), bus.Publish(request), bus.Publish(request), bus.Publish(request with { ClaimId = Guid.NewGuid() }));

        Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        await pending.DrainAsync(TimeSpan.FromSeconds(3), CancellationToken.None);
        Assert.Equal(1, pending.NoncesReceived);
        Assert.Equal(1, await ReportsAsync(env));
        Assert.Equal(0, await env.Mongo.Leases.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_backlog_longer_than_the_lease_answers_each_query_once()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        // A 3 s lease, one report at a time and 150 queries: most requests wait in the queue past their lease, are
        // claimed again and published again, and the first copies arrive stale.
        await env.StartWorkerAsync(
            s =>
            {
                s["Worker:LeaseSeconds"] = "3";
                s["Worker:ConcurrentMessageLimit"] = "1";
                s["Worker:PrefetchCount"] = "1";
            },
            services => services.AddSingleton<IClock>(SystemClock.Instance));
        var pending = new List<PendingQuery>();
        for (var i = 0; i < 150; i++)
        {
            pending.Add(await env.Submitter.SubmitTextAsync(i % 5 == 0 ? "related" : "count", TestEnvironment.CountText(i + 1), env.UserId("alice"), CancellationToken.None));
        }
        try
        {
            var arrived = await Task.WhenAll(pending.Select(p => p.WaitAsync(TimeSpan.FromSeconds(120), CancellationToken.None)));
            await Task.WhenAll(pending.Select(p => p.DrainAsync(TimeSpan.FromSeconds(4), CancellationToken.None)));
            var reclaims = await env.Mongo.Leases.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);
            output.WriteLine($"answered {arrived.Count(a => a)}/150, nonces {pending.Sum(p => p.NoncesReceived)}, leases left {reclaims}");
            Assert.All(arrived, Assert.True);
            Assert.All(pending, p => Assert.Equal(1, p.NoncesReceived));
            var store = new TdqlStore(env.Mongo);
            foreach (var p in pending) Assert.Equal(Tdql.StatusReady, (await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql.Status);
        }
        finally
        {
            pending.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task A_report_too_large_to_store_fails_with_its_size_and_is_told_once()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync(s => s["Reports:MaxReportBytes"] = "2000");
        using var pending = await env.Submitter.SubmitTextAsync("related",
            """{"data": "\"203.0.113.45\"", "level": "3", "summary": "false", "sub_type": "\"ipv4\""}""", env.UserId("alice"), CancellationToken.None);

        Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        await pending.DrainAsync(TimeSpan.FromSeconds(3), CancellationToken.None);

        Assert.Equal(1, pending.NoncesReceived);
        var store = new TdqlStore(env.Mongo);
        var tdql = (await store.FindAsync(pending.TdqlHash, CancellationToken.None))!.Tdql;
        Assert.Equal(Tdql.StatusFailed, tdql.Status);
        var text = (await store.FindReportAsync(tdql.ReportId, CancellationToken.None))!["data"].AsString;
        Assert.StartsWith("Report too large: ", text);
        Assert.Contains("'summary': true", text);
    }

    [Fact]
    public async Task Replies_to_an_api_that_has_gone_are_given_up_quickly_and_do_not_delay_a_good_one()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        var gone = new List<PendingQuery>();
        var tdqls = new TdqlStore(env.Mongo);
        // The good listener first: opened after the others closed, it could get one of their ports and take a reply
        // meant for a gone API (the wrong nonce, ignored, but delivered).
        var goodQuery = env.Submitter.Prepare("count", TestEnvironment.CountText(1000), env.UserId("bob"));
        for (var i = 0; i < 64; i++)
        {
            // Gone before the TDQL is written: a worker as quick as this one would otherwise reach a listener first.
            var prepared = env.Submitter.Prepare("count", TestEnvironment.CountText(i + 1), env.UserId("alice"));
            prepared.Pending.StopListening();
            await tdqls.InsertTdqlAsync(prepared.Tdql, prepared.Children, CancellationToken.None);
            gone.Add(prepared.Pending);
        }
        var submitted = DateTime.UtcNow;
        await tdqls.InsertTdqlAsync(goodQuery.Tdql, goodQuery.Children, CancellationToken.None);
        using var good = goodQuery.Pending;

        Assert.True(await good.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        var latency = DateTime.UtcNow - submitted;
        output.WriteLine($"the good reply arrived {latency.TotalSeconds:F1} s after submission, behind 64 replies to closed ports");
        Assert.True(latency < TimeSpan.FromSeconds(5), $"the good reply took {latency}");

        var status = new Storage.Status.ReportDbStatus(env.Mongo, env.Clock);
        long undelivered = 0;
        // Each gone reply is tried twice and then recorded; under a loaded CI machine the 64 may take a while.
        for (var n = 0; n < 300 && undelivered < 64; n++)
        {
            await Task.Delay(100);
            undelivered = (await status.SummaryAsync(CancellationToken.None)).UndeliveredReplies;
        }
        Assert.Equal(64, undelivered);
        var store = new TdqlStore(env.Mongo);
        foreach (var p in gone)
        {
            var tdql = (await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql;
            Assert.Equal(Tdql.StatusReady, tdql.Status);
            Assert.NotNull(await store.FindReportAsync(tdql.ReportId, CancellationToken.None));
            p.Dispose();
        }
    }

    [Fact]
    public async Task Forged_completions_and_requests_neither_get_the_nonce_nor_drop_the_live_lease()
    {
        // A publisher who can read claim ids and nonces off the worker's queues: nothing it names is trusted beyond the
        // claim's lease, which keeps the socket the claim was made for.
        await using var env = new TestEnvironment();
        var (bus, api, claims, claim) = await ClaimedQueryAsync(env);
        using var _ = api;
        var store = new TdqlStore(env.Mongo);
        var t = Tdql.Parse(claim.Tdql!);
        var nonce = t.Socket.Nonce;
        // Past its commit check, as a consumer leaves the claim just before it stores the report.
        Assert.True(await claims.CommitAsync(claim.TdqlHash, claim.ClaimId, Duration.FromMinutes(5), CancellationToken.None));
        using var attacker = new TcpListener(IPAddress.Loopback, 0);
        attacker.Start();
        var attackerPort = ((IPEndPoint)attacker.LocalEndpoint).Port;
        var stolen = Task.Run(async () => { using var c = await attacker.AcceptTcpClientAsync(); return true; });
        var report = new BsonDocument { { "itype", "report" }, { "sub_type", "count" }, { "data", 99 }, { "_hash", new string('e', 64) } };
        await env.Mongo.ReportDb.InsertOneAsync(report);

        // The attacker's own port on the API host, with the real nonce; a socket the worker refuses; a request
        // carrying the TDQL as ready, pointing at another report, with a refused host.
        await bus.Publish(new ReportCompleted(claim.TdqlHash, report["_hash"].AsString, Tdql.StatusReady, DateTimeOffset.UtcNow, claim.ClaimId,
            new ReplySocket("0.0.0.0", attackerPort, nonce)));
        await bus.Publish(new ReportCompleted(claim.TdqlHash, report["_hash"].AsString, Tdql.StatusReady, DateTimeOffset.UtcNow, claim.ClaimId,
            new ReplySocket("203.0.113.9", 40000, nonce)));
        var forged = TdqlDocuments.Build(t.QType, t.QHash, t.QData, t.UserId, t.Timestamp, t.Encrypted, Tdql.StatusReady,
            new TdqlSocket("203.0.113.9", 40000, nonce), report["_hash"].AsString).Tdql;
        await bus.Publish(new ReportRequested(claim.TdqlHash, claim.ClaimId, DateTimeOffset.UtcNow, 1, forged.ToBson()));
        await Task.Delay(2000);
        // The watcher's request, as it would have published it.
        await bus.Publish(new ReportRequested(claim.TdqlHash, claim.ClaimId, DateTimeOffset.UtcNow, 1, claim.Tdql!.ToBson()));

        Assert.True(await api.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None), "the API never got its nonce");
        await api.DrainAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.Equal(1, api.NoncesReceived);
        Assert.False(stolen.IsCompleted, "the attacker's port was connected to");
        var done = (await store.FindAsync(claim.TdqlHash, CancellationToken.None))!.Tdql;
        Assert.Equal(Tdql.StatusReady, done.Status);
        Assert.NotEqual(report["_hash"].AsString, done.ReportId);
        Assert.Equal(0, await env.Mongo.Leases.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Equal(0, await env.Mongo.UndeliveredReplies.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }
}
