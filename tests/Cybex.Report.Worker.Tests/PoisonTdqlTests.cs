using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// TDQL documents that break the claim itself, each placed oldest so that every poll meets it first: it is marked
/// with its reason, and every good query behind it is answered exactly once.
/// </summary>
public class PoisonTdqlTests
{
    private static (BsonDocument Tdql, IReadOnlyList<BsonDocument> Children) Raw(TestEnvironment env, string qhashSeed) =>
        TdqlDocuments.Build("count", Canonical.Sha256Hex(qhashSeed), "b'{}'", env.UserId("alice"), env.Fixture.FrozenNow, false,
            Tdql.StatusWait, new TdqlSocket("0.0.0.0", 9, "0123456789abcdef0123456789abcdef"));

    private static async Task<List<PendingQuery>> SubmitGoodAsync(TestEnvironment env, int count)
    {
        var pending = new List<PendingQuery>();
        for (var i = 0; i < count; i++)
        {
            pending.Add(await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(i + 1), env.UserId("bob"), CancellationToken.None));
        }
        return pending;
    }

    private static async Task AssertEachAnsweredOnceAsync(List<PendingQuery> pending, TimeSpan within)
    {
        var arrived = await Task.WhenAll(pending.Select(p => p.WaitAsync(within, CancellationToken.None)));
        Assert.Equal(pending.Count, arrived.Count(a => a));
        // A second nonce would arrive soon after the first; give it the time to.
        await Task.WhenAll(pending.Select(p => p.DrainAsync(TimeSpan.FromSeconds(1), CancellationToken.None)));
        Assert.All(pending, p => Assert.Equal(1, p.NoncesReceived));
    }

    private static async Task<BsonDocument> MarkedAsync(TestEnvironment env, BsonValue id)
    {
        for (var n = 0; n < 100; n++)
        {
            var doc = await env.Mongo.ReportDb.Find(new BsonDocument("_id", id)).SingleAsync();
            if (doc.Contains(TdqlFilters.MalformedField)) return doc;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException("the poison TDQL was not marked");
    }

    [Theory]
    [InlineData("a number in _cref")]
    [InlineData("a document in _ref")]
    [InlineData("a short hash in _cref")]
    [InlineData("an upper-case _hash")]
    [InlineData("a non-hex _hash")]
    public async Task A_tdql_whose_claim_fields_are_malformed_is_marked_and_the_queries_behind_it_are_answered(string poison)
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        var (bad, _) = Raw(env, poison);
        switch (poison)
        {
            case "a number in _cref": bad["_cref"].AsBsonArray[0] = 5; break;
            case "a document in _ref": bad["_ref"].AsBsonArray.Add(new BsonDocument("x", 1)); break;
            case "a short hash in _cref": bad["_cref"].AsBsonArray[1] = "abc"; break;
            case "an upper-case _hash": bad["_hash"] = bad["_hash"].AsString.ToUpperInvariant(); break;
            case "a non-hex _hash": bad["_hash"] = new string('z', 64); break;
        }
        await env.Mongo.ReportDb.InsertOneAsync(bad);
        await env.StartWorkerAsync();

        var pending = await SubmitGoodAsync(env, 20);
        try
        {
            await AssertEachAnsweredOnceAsync(pending, TimeSpan.FromSeconds(30));
            var marked = await MarkedAsync(env, bad["_id"]);
            Assert.Contains("TDQL", marked[TdqlFilters.MalformedField].AsString);
            Assert.Equal(Tdql.StatusWait, marked["data"]["status"][0].AsString);
            Assert.Equal(0, await env.Mongo.Leases.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq(Leases.Tdql, bad["_hash"])));
        }
        finally
        {
            pending.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task Of_two_documents_with_one_hash_the_oldest_is_answered_once_and_the_other_marked()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        using var twin = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(999), env.UserId("alice"), CancellationToken.None);
        var original = await env.Mongo.ReportDb.Find(TdqlFilters.Of(twin.TdqlHash)).SingleAsync();
        var copy = original.DeepClone().AsBsonDocument;
        copy.Remove("_id");
        await env.Mongo.ReportDb.InsertOneAsync(copy);
        await env.StartWorkerAsync();

        var pending = await SubmitGoodAsync(env, 20);
        try
        {
            await AssertEachAnsweredOnceAsync([.. pending, twin], TimeSpan.FromSeconds(30));
            // "Oldest" is the smaller _id; two ObjectIds of one second from two writers may sort either way.
            var copies = await env.Mongo.ReportDb.Find(new BsonDocument("_hash", twin.TdqlHash)).ToListAsync();
            var marked = Assert.Single(copies, c => c.Contains(TdqlFilters.MalformedField));
            Assert.Contains("same _hash", marked[TdqlFilters.MalformedField].AsString);
            Assert.Equal(copies.Min(c => c["_id"]), copies.Single(c => !c.Contains(TdqlFilters.MalformedField))["_id"]);
            var answered = (await new TdqlStore(env.Mongo).FindAsync(twin.TdqlHash, CancellationToken.None))!.Tdql;
            Assert.Equal(Tdql.StatusReady, answered.Status);
        }
        finally
        {
            pending.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task A_tdql_redone_after_report_db_was_emptied_under_the_worker_is_answered_with_every_child_in_place()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        using (var first = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(1), env.UserId("alice"), CancellationToken.None))
        {
            Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        }
        // An operator empties report_db (or restores an old copy) while the worker runs.
        await env.Mongo.ReportDb.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty);
        await env.Mongo.Leases.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty);

        // The API's redo of a query: the TDQL and its children written again, status wait, a new socket.
        using var redo = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(1), env.UserId("alice"), CancellationToken.None);
        Assert.True(await redo.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));

        // The API reads the status through the TDQL's children: each must exist (KeyError: 'status' otherwise).
        var tdql = (await new TdqlStore(env.Mongo).FindDocumentAsync(redo.TdqlHash, CancellationToken.None))!;
        foreach (var child in tdql["_ref"].AsBsonArray)
        {
            Assert.True(await env.Mongo.ReportDb.Find(new BsonDocument("_hash", child)).AnyAsync(), $"child {child} of the TDQL is missing");
        }
    }
}
