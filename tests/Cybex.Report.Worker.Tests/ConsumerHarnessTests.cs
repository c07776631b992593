using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Tahoe.Documents;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MongoDB.Bson;
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

    private static async Task<string> InsertProcessingTdqlAsync(TestEnvironment env, string qtype, string qdataText, string user)
    {
        var pending = await env.Submitter.SubmitTextAsync(qtype, qdataText, env.UserId(user), CancellationToken.None);
        pending.Dispose();
        return pending.TdqlHash;
    }

    [Fact]
    public async Task Report_requested_produces_a_stored_report_and_announces_it()
    {
        var (env, harness) = (_env, _harness);
        var tdql = await InsertProcessingTdqlAsync(env, "count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", "alice");

        await harness.Bus.Publish(new ReportRequested(tdql, Guid.NewGuid(), DateTimeOffset.UtcNow));

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == tdql));
        var completed = harness.Published.Select<ReportCompleted>().First().Context.Message;
        Assert.Equal(Tdql.StatusReady, completed.Status);
        var stored = Tdql.Parse((await new ReportStore(env.Mongo).FindTdqlAsync(tdql, CancellationToken.None))!);
        Assert.Equal(completed.ReportId, stored.ReportId);
        var report = await new ReportStore(env.Mongo).FindReportAsync(stored.ReportId, CancellationToken.None);
        Assert.Equal(3, report!["data"].ToInt32());
    }

    [Fact]
    public async Task A_bad_query_ends_as_a_failed_report_not_an_exception()
    {
        var (env, harness) = (_env, _harness);
        var tdql = await InsertProcessingTdqlAsync(env, "count", """{"sub_type": "\"md5\""}""", "alice");

        await harness.Bus.Publish(new ReportRequested(tdql, Guid.NewGuid(), DateTimeOffset.UtcNow));

        Assert.True(await harness.Published.Any<ReportCompleted>(m => m.Context.Message.TdqlHash == tdql && m.Context.Message.Status == Tdql.StatusFailed));
        Assert.False(await harness.Published.Any<Fault<ReportRequested>>());
        var report = await new ReportStore(env.Mongo).FindReportAsync(
            harness.Published.Select<ReportCompleted>().First().Context.Message.ReportId, CancellationToken.None);
        Assert.Contains("'md5' is not one of", report!["data"].AsString);
    }

    [Fact]
    public async Task A_redelivered_request_reannounces_the_finished_report_without_recomputing()
    {
        var (env, harness) = (_env, _harness);
        var tdql = await InsertProcessingTdqlAsync(env, "count", """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""", "alice");
        await harness.Bus.Publish(new ReportRequested(tdql, Guid.NewGuid(), DateTimeOffset.UtcNow));
        Assert.True(await harness.Published.Any<ReportCompleted>());
        var reportsBefore = await env.Mongo.Reports.CountDocumentsAsync(new BsonDocument("itype", "report"));

        // Spoil the archive: a recomputation would now give a different count.
        await env.Mongo.Archive.DeleteManyAsync(new BsonDocument("itype", "event"));
        await harness.Bus.Publish(new ReportRequested(tdql, Guid.NewGuid(), DateTimeOffset.UtcNow));

        List<ReportCompleted> announcements = [];
        for (var i = 0; i < 100 && announcements.Count < 2; i++)
        {
            await Task.Delay(50);
            announcements = harness.Published.Select<ReportCompleted>().Where(m => m.Context.Message.TdqlHash == tdql).Select(m => m.Context.Message).ToList();
        }
        Assert.Equal(2, announcements.Count);
        Assert.Equal(announcements[0].ReportId, announcements[1].ReportId);
        Assert.Equal(reportsBefore, await env.Mongo.Reports.CountDocumentsAsync(new BsonDocument("itype", "report")));
    }
}
