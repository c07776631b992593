using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Worker.Watching;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>The archive watcher on MassTransit's in-memory harness, against the Mongo-compatible server.</summary>
public class WatcherTests
{
    /// <summary>Fails every publish while the broker is "down", as a publish through a lost connection does.</summary>
    private sealed class Outage : IFilter<PublishContext>
    {
        public volatile bool Down = true;

        public Task Send(PublishContext context, IPipe<PublishContext> next) =>
            Down ? throw new MassTransitException("broker unreachable (test outage)") : next.Send(context);

        public void Probe(ProbeContext context) => context.CreateFilterScope("outage");
    }

    private static async Task<List<string>> StatusesAsync(TdqlStore store, IEnumerable<PendingQuery> queries)
    {
        var statuses = new List<string>();
        foreach (var q in queries) statuses.Add((await store.FindAsync(q.TdqlHash, CancellationToken.None))!.Tdql.Status);
        return statuses;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(100);
        }
    }

    /// <summary>The watcher alone on the in-memory harness, every publish going through <paramref name="outage"/>.</summary>
    private static ServiceProvider WatcherOnly(TestEnvironment env, Outage outage)
    {
        var settings = env.Settings("InMemory");
        // A long lease: only the watcher's own backlog, not a lease expiry, can announce these claims.
        settings["Worker:LeaseSeconds"] = "300";
        settings["Worker:PollIdleMilliseconds"] = "100";
        settings["Worker:ReportConsumer"] = "false";
        settings["Worker:ReplyConsumer"] = "false";
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging();
        services.AddReportWorkerCore(config);
        services.AddSingleton(env.Clock);
        services.AddMassTransitTestHarness(x => x.UsingInMemory((ctx, cfg) => cfg.ConfigurePublish(p => p.UseFilter(outage))));
        return services.BuildServiceProvider(true);
    }

    [Fact]
    public async Task A_watcher_started_twice_refuses_the_second_start_and_keeps_one_loop()
    {
        await using var env = new TestEnvironment();
        await using var provider = WatcherOnly(env, new Outage());
        // The harness starts every hosted service, the watcher among them.
        await provider.GetRequiredService<ITestHarness>().Start();
        var watcher = provider.GetServices<IHostedService>().OfType<TdqlWatcher>().Single();
        try
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => watcher.StartAsync(CancellationToken.None));
            Assert.False(watcher.ExecuteTask!.IsCompleted);
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
        Assert.True(watcher.ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task Claims_made_while_publishing_fails_are_announced_with_their_own_claim_once_it_works_and_nothing_new_is_claimed_meanwhile()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var outage = new Outage();
        await using var provider = WatcherOnly(env, outage);
        var store = new TdqlStore(env.Mongo);
        var first = new List<PendingQuery>();
        // All three wait before anything runs: the harness starts the hosted watcher, and a poll between two
        // submissions would claim (and hold back) only some of them.
        for (var i = 0; i < 3; i++)
        {
            first.Add(await env.Submitter.SubmitTextAsync("count", $$"""{"data": "\"203.0.113.45\"", "from": "\"{{i + 1}}\"", "sub_type": "\"ipv4\""}""", env.UserId("alice"), CancellationToken.None));
        }
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        // The harness has started the watcher: starting it again ran a second loop on its backlog, which dropped a claim.
        var watcher = provider.GetServices<IHostedService>().OfType<TdqlWatcher>().Single();
        try
        {
            await WaitUntilAsync(async () => (await StatusesAsync(store, first)).All(s => s == Tdql.StatusProcessing), "the watcher did not claim");
            using var late = await env.Submitter.SubmitTextAsync("count", """{"data": "\"198.51.100.7\"", "sub_type": "\"ipv4\""}""", env.UserId("bob"), CancellationToken.None);
            await Task.Delay(1000);
            Assert.Equal(Tdql.StatusWait, (await StatusesAsync(store, [late])).Single());
            Assert.False(harness.Published.Select<ReportRequested>().Any());

            outage.Down = false;
            await WaitUntilAsync(() => Task.FromResult(harness.Published.Select<ReportRequested>().Count() >= 4), "the claims were not announced after the outage");
            var leases = await env.Mongo.Leases.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
            foreach (var q in first.Append(late))
            {
                var lease = leases.Single(l => l["tdql"] == q.TdqlHash);
                Assert.Equal(1, lease["attempt"].ToInt32());
                var announced = harness.Published.Select<ReportRequested>().Single(m => m.Context.Message.TdqlHash == q.TdqlHash).Context.Message;
                Assert.Equal(lease["claim"].AsString, announced.ClaimId.ToString("N"));
            }
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
            foreach (var q in first) q.Dispose();
        }
    }
}
