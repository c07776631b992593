using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Domain.Tahoe;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>Consumer logic on MassTransit's in-memory test harness, against the Mongo-compatible server.</summary>
public class ConsumerHarnessTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;

    public async Task InitializeAsync()
    {
        await _env.LoadFixtureAsync();
        (_provider, _harness) = await StartAsync(_env);
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _env.DisposeAsync();
    }

    private static async Task<(ServiceProvider Provider, ITestHarness Harness)> StartAsync(TestEnvironment env)
    {
        var settings = env.Settings("InMemory");
        // The test publishes the requests itself.
        settings["Worker:Watcher"] = "false";
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging();
        services.AddReportWorkerCore(config);
        services.AddSingleton(env.Clock);
        services.AddMassTransitTestHarness(x => x.AddReportConsumers(new Options.WorkerOptions { ReplyConsumer = false }));
        var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return (provider, harness);
    }

    /// <summary>A TDQL submitted and claimed as the watcher would: the request for it carries this claim.</summary>
    private static async Task<ReportRequested> ClaimedRequestAsync(TestEnvironment env, string qtype, string qdataText, string user)
    {
        var pending = await env.Submitter.SubmitTextAsync(qtype, qdataText, env.UserId(user), CancellationToken.None);
        pending.Dispose();
        var claims = ClaimStore.Protocol(env.Mongo, env.Clock);
        var waiting = (await new TdqlStore(env.Mongo).WaitingAsync(100, CancellationToken.None)).Single(d => d["_hash"] == pending.TdqlHash);
        var claim = Assert.Single((await claims.ClaimBatchAsync([waiting], NodaTime.Duration.FromMinutes(5), 1, CancellationToken.None)).Won);
        return new ReportRequested(claim.TdqlHash, claim.ClaimId, DateTimeOffset.UtcNow, claim.Attempt, claim.Tdql!.ToBson());
    }

    [Fact]
    public async Task A_request_carrying_a_forged_tdql_is_answered_from_the_stored_one()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", CountText, "alice");
        var forged = BsonSerializer.Deserialize<BsonDocument>(request.Tdql!);
        // Same hash and edges, another user: answered from this copy, the report would be made for bob's orgs.
        forged["data"]["userid"] = new BsonArray { env.UserId("bob") };

        await harness.Bus.Publish(request with { Tdql = forged.ToBson() });

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == request.TdqlHash));
        var completed = harness.Published.Select<ReportCompleted>().First(m => m.Context.Message.TdqlHash == request.TdqlHash).Context.Message;
        var report = await new TdqlStore(env.Mongo).FindReportAsync(completed.ReportId, CancellationToken.None);
        Assert.Equal(env.UserId("alice"), report!["userid"].AsString);
        Assert.Equal(env.UserId("alice"), (await new TdqlStore(env.Mongo).FindAsync(request.TdqlHash, CancellationToken.None))!.Tdql.UserId);
    }

    [Fact]
    public async Task A_request_whose_carried_tdql_is_not_bson_is_answered_from_the_stored_one()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", CountText, "alice");

        await harness.Bus.Publish(request with { Tdql = [1, 2, 3] });

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == request.TdqlHash && m.Context.Message.Status == Tdql.StatusReady));
        Assert.False(await harness.Published.Any<Fault<ReportRequested>>());
    }

    private const string CountText = """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""";

    [Fact]
    public async Task Report_requested_produces_a_stored_report_and_announces_it()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", "alice");
        var tdql = request.TdqlHash;

        await harness.Bus.Publish(request);

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == tdql));
        var completed = harness.Published.Select<ReportCompleted>().First().Context.Message;
        Assert.Equal(Tdql.StatusReady, completed.Status);
        var stored = (await new TdqlStore(env.Mongo).FindAsync(tdql, CancellationToken.None))!.Tdql;
        Assert.Equal(completed.ReportId, stored.ReportId);
        var report = await new TdqlStore(env.Mongo).FindReportAsync(stored.ReportId, CancellationToken.None);
        Assert.Equal(3, report!["data"].ToInt32());
    }

    [Fact]
    public async Task A_bad_query_ends_as_a_failed_report_not_an_exception()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", """{"sub_type": "\"md5\""}""", "alice");
        var tdql = request.TdqlHash;

        await harness.Bus.Publish(request);

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == tdql && m.Context.Message.Status == Tdql.StatusFailed));
        Assert.False(await harness.Published.Any<Fault<ReportRequested>>());
        var report = await new TdqlStore(env.Mongo).FindReportAsync(
            harness.Published.Select<ReportCompleted>().First().Context.Message.ReportId, CancellationToken.None);
        Assert.Contains("'md5' is not one of", report!["data"].AsString);
    }

    [Fact]
    public async Task A_redelivered_request_reannounces_the_finished_report_without_recomputing()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", "alice");
        var tdql = request.TdqlHash;
        await harness.Bus.Publish(request);
        Assert.True(await harness.Published.Any<ReportCompleted>());
        var reportsBefore = await env.Mongo.ReportDb.CountDocumentsAsync(new BsonDocument("itype", "report"));

        // Spoil the archive: a recomputation would now give a different count.
        await env.Mongo.Archive.DeleteManyAsync(new BsonDocument("itype", "event"));
        // The same claim delivered again (its reply not yet taken).
        await harness.Bus.Publish(request);

        for (var i = 0; i < 100 && harness.Consumed.Select<ReportRequested>().Count(m => m.Context.Message.TdqlHash == tdql) < 2; i++) await Task.Delay(50);
        await Task.Delay(200);

        // Re-announced under the claim's own message id (so the reply can recognise it), from the stored report.
        var announcements = harness.Published.Select<ReportCompleted>().Where(m => m.Context.Message.TdqlHash == tdql).Select(m => m.Context.Message).ToList();
        Assert.Equal(2, harness.Consumed.Select<ReportRequested>().Count(m => m.Context.Message.TdqlHash == tdql));
        Assert.False(await harness.Published.Any<Fault<ReportRequested>>());
        var stored = (await new TdqlStore(env.Mongo).FindAsync(tdql, CancellationToken.None))!.Tdql;
        Assert.All(announcements, a => Assert.Equal(stored.ReportId, a.ReportId));
        Assert.Equal(3, (await new TdqlStore(env.Mongo).FindReportAsync(stored.ReportId, CancellationToken.None))!["data"].ToInt32());
        Assert.Equal(reportsBefore, await env.Mongo.ReportDb.CountDocumentsAsync(new BsonDocument("itype", "report")));
    }

    [Fact]
    public async Task A_request_no_watcher_claimed_is_dropped_without_work()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", "alice");

        // Another claim id for the same TDQL: a forged, stale or duplicated-from-elsewhere copy.
        await harness.Bus.Publish(request with { ClaimId = Guid.NewGuid() });

        Assert.True(await harness.Consumed.Any<ReportRequested>(m => m.Context.Message.TdqlHash == request.TdqlHash));
        Assert.False(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == request.TdqlHash));
        var stored = (await new TdqlStore(env.Mongo).FindAsync(request.TdqlHash, CancellationToken.None))!.Tdql;
        Assert.Equal(Tdql.StatusProcessing, stored.Status);
        Assert.Equal(0, await env.Mongo.ReportDb.CountDocumentsAsync(new BsonDocument("itype", "report")));
    }

    [Fact]
    public async Task A_claim_past_the_attempt_limit_ends_failed_with_the_last_error_and_is_announced()
    {
        var (env, harness) = (_env, _harness);
        var request = await ClaimedRequestAsync(env, "count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", "alice");
        // Three claims before this one ran out of time; the last one recorded why.
        await env.Mongo.Leases.UpdateOneAsync(new BsonDocument("claim", request.ClaimId.ToString("N")),
            new BsonDocument("$set", new BsonDocument { { "attempt", 4 }, { "error", "TimeoutException: the archive did not answer" } }));

        await harness.Bus.Publish(request with { Attempt = 4 });

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == request.TdqlHash));
        var completed = harness.Published.Select<ReportCompleted>().First(m => m.Context.Message.TdqlHash == request.TdqlHash).Context.Message;
        Assert.Equal(Tdql.StatusFailed, completed.Status);
        Assert.Equal(request.ClaimId, completed.ClaimId);
        var report = await new TdqlStore(env.Mongo).FindReportAsync(completed.ReportId, CancellationToken.None);
        Assert.Equal("Failed to generate report after 3 attempts! -- TimeoutException: the archive did not answer", report!["data"].AsString);
    }
}
