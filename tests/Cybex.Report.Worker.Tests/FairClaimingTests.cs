using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Worker.Tests;

/// <summary>One user's flood never holds back another's query: the watcher claims fairly across orgs and users.</summary>
public class FairClaimingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(null)]
    [InlineData("2")]
    public async Task A_lone_query_of_another_org_is_answered_ahead_of_a_flood_waiting_before_it_and_hostile_tdqls_break_nothing(string? slotsPerUser)
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        const int flood = 300;
        var alice = new List<PendingQuery>();
        for (var i = 0; i < flood; i++)
        {
            alice.Add(await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(i + 1), env.UserId("alice"), CancellationToken.None));
        }
        // Hostile beside them: a user hash that is not a string, and a user who does not exist.
        var broken = env.Submitter.Prepare("count", TestEnvironment.CountText(9001), env.UserId("alice"));
        broken.Tdql["data"]["userid"] = new BsonArray { 42 };
        await new TdqlStore(env.Mongo).InsertTdqlAsync(broken.Tdql, broken.Children, CancellationToken.None);
        broken.Pending.Dispose();
        using var ghost = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(9002), env.UserId("ghost"), CancellationToken.None);
        // The newest of all: oldest-first claiming would answer it last.
        using var carol = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(9003), env.UserId("carol"), CancellationToken.None);
        var aliceWaits = alice.Select(p => p.WaitAsync(TimeSpan.FromSeconds(180), CancellationToken.None)).ToList();

        await env.StartWorkerAsync(s =>
        {
            s["Worker:MaxInFlightPerUser"] = "16";
            if (slotsPerUser is not null) s["Worker:MaxConcurrentPerUser"] = slotsPerUser;
        });

        Assert.True(await carol.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "carol's query was not answered");
        var aliceAnswered = aliceWaits.Count(w => w.IsCompleted);
        output.WriteLine($"alice's answered when carol's was: {aliceAnswered}/{flood}");
        Assert.True(aliceAnswered < flood / 3, $"{aliceAnswered} of alice's {flood} were answered before carol's one");
        Assert.True(await ghost.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "the unknown user's query was not answered");
        Assert.All(await Task.WhenAll(aliceWaits), Assert.True);
        var store = new TdqlStore(env.Mongo);
        Assert.Equal(Tdql.StatusFailed, (await store.FindAsync(ghost.TdqlHash, CancellationToken.None))!.Tdql.Status);
        Assert.True((await env.Mongo.ReportDb.Find(new BsonDocument("_hash", broken.Pending.TdqlHash)).FirstAsync())
            .Contains(TdqlFilters.MalformedField), "the TDQL with a non-string user hash was not marked");
    }
}
