using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage.Quotas;
using Cybex.Report.Storage.Status;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Worker.Tests;

/// <summary>An operator's per-org quota: an org over it waits, never fails, and nobody else waits with it.</summary>
public class QuotaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Queries_of_an_org_over_its_quota_stay_waiting_until_the_minute_allows_them_while_other_orgs_are_answered()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var orgA = env.Fixture.Root["orgs"]["org_a"]["_hash"].AsString;
        await new QuotaStore(env.Mongo).SetAsync(orgA, 5, CancellationToken.None);
        var alice = new List<PendingQuery>();
        for (var i = 0; i < 12; i++) alice.Add(await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(i + 1), env.UserId("alice"), CancellationToken.None));
        var carol = new List<PendingQuery>();
        for (var i = 0; i < 3; i++) carol.Add(await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(100 + i), env.UserId("carol"), CancellationToken.None));
        var aliceWaits = alice.Select(p => p.WaitAsync(TimeSpan.FromSeconds(120), CancellationToken.None)).ToList();
        var clock = new ManualClock(env.Clock.GetCurrentInstant());

        await env.StartWorkerAsync(services: s => s.AddSingleton<IClock>(clock));

        foreach (var c in carol) Assert.True(await c.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None), "carol's query was not answered");
        await WaitUntilAsync(() => aliceWaits.Count(w => w.IsCompleted) >= 5);
        // Several polls more: nothing of alice's beyond the quota is claimed, and none of it fails.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(5, aliceWaits.Count(w => w.IsCompleted));
        var store = new TdqlStore(env.Mongo);
        var statuses = new List<string>();
        foreach (var p in alice) statuses.Add((await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql.Status);
        Assert.Equal(7, statuses.Count(s => s == Tdql.StatusWait));
        var summary = await new ReportDbStatus(env.Mongo, clock).SummaryAsync(CancellationToken.None);
        var a = Assert.Single(summary.Orgs, o => o.Org == orgA);
        output.WriteLine($"org-a: {a}");
        Assert.Equal((7L, 5, 5, true), (a.Waiting, a.PerMinute!.Value, a.UsedLastMinute, a.Throttled));

        clock.Advance(Duration.FromSeconds(61));
        await WaitUntilAsync(() => aliceWaits.Count(w => w.IsCompleted) >= 10);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(10, aliceWaits.Count(w => w.IsCompleted));
        clock.Advance(Duration.FromSeconds(61));
        Assert.All(await Task.WhenAll(aliceWaits), Assert.True);
        foreach (var p in alice) Assert.Equal(Tdql.StatusReady, (await store.FindAsync(p.TdqlHash, CancellationToken.None))!.Tdql.Status);
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        for (var waited = 0; !done(); waited += 50)
        {
            Assert.True(waited < 30_000, "not reached within 30 s");
            await Task.Delay(50);
        }
    }
}
