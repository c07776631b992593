using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Storage.Archive;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Testing;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;
using Xunit;

namespace Cybex.Report.Storage.Tests;

public class ClaimAndLimitTests
{
    private static readonly Instant Now = Instant.FromUnixTimeSeconds(1_700_000_000);

    private static (BsonDocument Tdql, IReadOnlyList<BsonDocument> Children) Waiting(string qhashSeed) =>
        TdqlDocuments.Build("count", Canonical.Sha256Hex(qhashSeed), "b'{}'", new string('a', 64), TahoeTime.ToEpochSeconds(Now), false,
            Tdql.StatusWait, new TdqlSocket("0.0.0.0", 1, "00"));

    [Fact]
    public async Task Waiting_tdqls_of_the_users_passed_over_are_not_read()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        foreach (var user in new[] { 'a', 'b', 'c' })
        {
            var (tdql, children) = TdqlDocuments.Build("count", Canonical.Sha256Hex($"q{user}"), "b'{}'", new string(user, 64), TahoeTime.ToEpochSeconds(Now), false,
                Tdql.StatusWait, new TdqlSocket("0.0.0.0", 1, "00"));
            await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        }

        var waiting = await store.WaitingAsync(10, CancellationToken.None, [new string('a', 64), new string('c', 64)]);

        Assert.Equal([new string('b', 64)], waiting.Select(d => Tdql.Parse(d).UserId));
    }

    [Fact]
    public async Task The_summary_counts_reports_of_the_last_minute_by_type_and_dates_the_oldest_waiting_query()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var (older, olderChildren) = TdqlDocuments.Build("count", Canonical.Sha256Hex("older"), "b'{}'", new string('a', 64), TahoeTime.ToEpochSeconds(Now - Duration.FromSeconds(90)),
            false, Tdql.StatusWait, new TdqlSocket("0.0.0.0", 1, "00"));
        var (newer, newerChildren) = Waiting("newer");
        await store.InsertTdqlAsync(older, olderChildren, CancellationToken.None);
        await store.InsertTdqlAsync(newer, newerChildren, CancellationToken.None);
        await mongo.Mongo.ReportDb.InsertManyAsync(
        [
            ReportOutcome.Ready(1).ToDocument("count", "u", Now - Duration.FromSeconds(10)),
            ReportOutcome.Ready(2).ToDocument("count", "u", Now - Duration.FromSeconds(50)),
            ReportOutcome.Ready(3).ToDocument("threatrank", "u", Now - Duration.FromSeconds(5)),
            ReportOutcome.Ready(4).ToDocument("count", "u", Now - Duration.FromSeconds(61)),
        ]);

        var summary = await new Storage.Status.ReportDbStatus(mongo.Mongo, new FrozenClock(Now)).SummaryAsync(CancellationToken.None);

        Assert.Equal(2, summary.ByStatus[Tdql.StatusWait]);
        Assert.Equal(2, summary.ReportsLastMinute["count"]);
        Assert.Equal(1, summary.ReportsLastMinute["threatrank"]);
        Assert.Equal(Now - Duration.FromSeconds(90), summary.OldestWaiting);
        Assert.Equal(Now, summary.At);
    }

    [Fact]
    public async Task The_summary_survives_hostile_documents_and_dates_the_oldest_real_tdql()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var (nan, _) = Waiting("nan");
        nan["data"]["timestamp"] = new BsonArray { double.NaN };
        var (wrongType, _) = Waiting("wrong-type");
        wrongType["data"]["timestamp"] = new BsonArray { "yesterday" };
        var (real, realChildren) = TdqlDocuments.Build("count", Canonical.Sha256Hex("real"), "b'{}'", new string('a', 64), TahoeTime.ToEpochSeconds(Now - Duration.FromSeconds(30)),
            false, Tdql.StatusWait, new TdqlSocket("0.0.0.0", 1, "00"));
        // Written first, so they are the oldest waiting documents; and TDQL-shaped documents without data or status.
        await mongo.Mongo.ReportDb.InsertManyAsync([nan, wrongType,
            new BsonDocument { { "itype", "object" }, { "sub_type", "query" }, { "data", "not an object" } },
            new BsonDocument { { "itype", "object" }, { "sub_type", "query" } },
            new BsonDocument { { "itype", "object" }, { "sub_type", "query" }, { "data", new BsonDocument("status", 7) } }]);
        await store.InsertTdqlAsync(real, realChildren, CancellationToken.None);

        var summary = await new Storage.Status.ReportDbStatus(mongo.Mongo, new FrozenClock(Now)).SummaryAsync(CancellationToken.None);

        Assert.Equal(3, summary.ByStatus["?"]);
        Assert.Equal(3, summary.ByStatus[Tdql.StatusWait]);
        Assert.Equal(Now - Duration.FromSeconds(30), summary.OldestWaiting);
    }

    [Fact]
    public async Task A_claim_is_taken_once_and_keeps_the_tdql_parsable()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("one");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.TryClaimAsync(tdql, CancellationToken.None)));

        Assert.Single(attempts, won => won);
        var stored = (await store.FindDocumentAsync(tdql["_hash"].AsString, CancellationToken.None))!;
        Assert.Equal(Tdql.StatusProcessing, Tdql.Parse(stored).Status);
        Assert.Contains(TahoeHash.Attribute("status", "processing"), stored["_cref"].AsBsonArray.Select(v => v.AsString));
        Assert.DoesNotContain(TahoeHash.Attribute("status", "wait"), stored["_ref"].AsBsonArray.Select(v => v.AsString));
        Assert.Empty(await store.WaitingAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task An_expired_lease_is_claimed_again_and_a_finished_one_announces_its_owed_reply()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (stuck, stuckChildren) = Waiting("stuck");
        var (done, doneChildren) = Waiting("done");
        await store.InsertTdqlAsync(stuck, stuckChildren, CancellationToken.None);
        await store.InsertTdqlAsync(done, doneChildren, CancellationToken.None);
        // A lease that ended before it began has expired by the next look.
        var taken = (await claims.ClaimBatchAsync([stuck, done], Duration.FromSeconds(-1), 2, CancellationToken.None)).Won;
        Assert.Equal(2, taken.Count);
        var doneDoc = (await store.FindDocumentAsync(done["_hash"].AsString, CancellationToken.None))!;
        await store.CompleteAsync(StoredTdql.Parse(doneDoc), Domain.Reports.ReportOutcome.Ready(1), Now, CancellationToken.None);
        // Work had begun under the stuck claim (its worker died): the re-claim is a second attempt.
        await mongo.Mongo.Leases.UpdateOneAsync(new BsonDocument(Leases.Tdql, stuck["_hash"]), new BsonDocument("$set", new BsonDocument(Leases.Started, true)));

        var found = await claims.ReclaimExpiredAsync(10, Duration.FromMinutes(2), CancellationToken.None);

        var reclaimed = Assert.Single(found.Claims);
        Assert.Equal(stuck["_hash"].AsString, reclaimed.TdqlHash);
        Assert.Equal(2, reclaimed.Attempt);
        Assert.DoesNotContain(taken, c => c.ClaimId == reclaimed.ClaimId);
        // The finished one's lease is its unsent nonce: announced again under its claim, not dropped.
        var owed = Assert.Single(found.Replies);
        Assert.Equal(done["_hash"].AsString, owed.TdqlHash);
        Assert.Equal(2, await mongo.Mongo.Leases.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        Assert.Empty((await claims.ReclaimExpiredAsync(10, Duration.FromMinutes(2), CancellationToken.None)).Claims);
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(0, 120)]
    [InlineData(50, 50)]
    public async Task Count_limit_is_an_option(long limit, int expected)
    {
        await using var mongo = new ScratchDatabases("t");
        var attribute = TahoeDocuments.Attribute("ipv4", "192.0.2.1");
        await mongo.Mongo.Archive.InsertOneAsync(attribute.DeepClone().AsBsonDocument);
        await mongo.Mongo.Archive.InsertManyAsync(Enumerable.Range(0, 120).Select(i =>
            ArchiveDocuments.Event("sighting", [attribute], "org", Instant.FromUnixTimeSeconds(1_600_000_000 + i))));
        var count = new CountReport(new ArchiveStore(mongo.Mongo), new ReportOptions { CountLimit = limit });
        var query = QueryValidator.Validate("count", PyJsonReader.Parse("""{"sub_type":"ipv4","data":"192.0.2.1"}"""));

        var outcome = await count.RunAsync(query, new TimeRange(NodaConstants.UnixEpoch, Now), new UserAccess("u", ["org"]), CancellationToken.None);

        Assert.Equal(expected, outcome.Data.ToInt32());
    }

    [Fact]
    public async Task A_batch_announces_each_step_in_order_before_it_claims_the_next()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var batch = new List<BsonDocument>();
        foreach (var n in Enumerable.Range(0, 5))
        {
            var (tdql, children) = Waiting($"step{n}");
            await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
            batch.Add(tdql);
        }
        var steps = new List<(List<string> Announced, int StillWaiting)>();

        var won = await claims.ClaimBatchAsync(batch, Duration.FromMinutes(5), 2, CancellationToken.None, async step =>
            steps.Add((step.Select(c => c.TdqlHash).ToList(), (await store.WaitingAsync(10, CancellationToken.None)).Count)));

        // The first claim alone (it writes the processing child), then two at a time; each announced while the rest waits.
        var hashes = batch.Select(t => t["_hash"].AsString).ToList();
        Assert.Equal([[hashes[0]], [hashes[1], hashes[2]], [hashes[3], hashes[4]]], steps.Select(s => s.Announced));
        Assert.Equal([4, 2, 0], steps.Select(s => s.StillWaiting));
        Assert.Equal(hashes, won.Won.Select(c => c.TdqlHash));
    }

    [Fact]
    public async Task A_lost_claim_removes_its_lease_and_the_winner_keeps_one()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("crash");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        // Another watcher won this TDQL in the same moment: this batch's lease for it is removed again.
        var first = (await claims.ClaimBatchAsync([tdql], Duration.FromMinutes(5), 1, CancellationToken.None)).Won;
        var second = (await claims.ClaimBatchAsync([tdql], Duration.FromMinutes(5), 1, CancellationToken.None)).Won;

        Assert.Single(first);
        Assert.Empty(second);
        var leases = await mongo.Mongo.Leases.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
        Assert.Equal(first[0].ClaimId.ToString("N"), Assert.Single(leases)["claim"].AsString);
    }

    [Fact]
    public async Task A_watcher_that_died_between_lease_and_claim_leaves_the_query_waiting_for_the_next()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("died");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        await mongo.Mongo.Leases.InsertOneAsync(new BsonDocument
        {
            { "tdql", tdql["_hash"].AsString }, { "claim", Guid.NewGuid().ToString("N") }, { "claimed", Now.ToDateTimeUtc() },
            { "expires", (Now - Duration.FromSeconds(1)).ToDateTimeUtc() }, { "attempt", 1 },
        });

        // The lease stays (a live claimer could be about to claim under it) but blocks nobody: the next claim replaces it.
        Assert.Empty((await claims.ReclaimExpiredAsync(10, Duration.FromMinutes(5), CancellationToken.None)).Claims);
        var waiting = Assert.Single(await store.WaitingAsync(10, CancellationToken.None));
        var claim = Assert.Single((await claims.ClaimBatchAsync([waiting], Duration.FromMinutes(5), 1, CancellationToken.None)).Won);
        var lease = await mongo.Mongo.Leases.Find(FilterDefinition<BsonDocument>.Empty).SingleAsync();
        Assert.Equal(Leases.Id(claim.ClaimId), lease[Leases.ClaimId].AsString);
    }

    [Fact]
    public async Task A_failed_query_requeued_to_wait_is_claimed_again()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("requeue");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        Assert.True(await store.TryClaimAsync(tdql, CancellationToken.None));
        var processing = (await store.FindDocumentAsync(tdql["_hash"].AsString, CancellationToken.None))!;
        await store.CompleteAsync(StoredTdql.Parse(processing), Domain.Reports.ReportOutcome.Failed("boom"), Now, CancellationToken.None);
        var failed = (await store.FindDocumentAsync(tdql["_hash"].AsString, CancellationToken.None))!;

        Assert.True(await store.TrySetStatusAsync(failed, Tdql.StatusWait, Builders<BsonDocument>.Filter.Eq("data.status", Tdql.StatusFailed), CancellationToken.None));
        Assert.False(await store.TrySetStatusAsync(failed, Tdql.StatusWait, Builders<BsonDocument>.Filter.Eq("data.status", Tdql.StatusFailed), CancellationToken.None));

        var waiting = Assert.Single(await store.WaitingAsync(10, CancellationToken.None));
        Assert.Contains(TahoeHash.Attribute("status", "wait"), waiting["_cref"].AsBsonArray.Select(v => v.AsString));
        Assert.True(await store.TryClaimAsync(waiting, CancellationToken.None));
    }

    [Fact]
    public async Task A_redo_during_processing_is_not_overwritten_by_the_stale_report()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("redo");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        await store.TryClaimAsync(tdql, CancellationToken.None);
        var processing = (await store.FindDocumentAsync(tdql["_hash"].AsString, CancellationToken.None))!;
        // The API's redo: a new socket and status wait, while the worker still holds the old document.
        var (redo, redoChildren) = TdqlDocuments.Build("count", tdql["data"]["qhash"][0].AsString, "b'{}'", new string('a', 64), TahoeTime.ToEpochSeconds(Now), false,
            Tdql.StatusWait, new TdqlSocket("0.0.0.0", 2, "11"));
        await store.InsertTdqlAsync(redo, redoChildren, CancellationToken.None);

        await store.CompleteAsync(StoredTdql.Parse(processing), Domain.Reports.ReportOutcome.Ready(1), Now, CancellationToken.None);

        var after = (await store.FindAsync(tdql["_hash"].AsString, CancellationToken.None))!.Tdql;
        Assert.Equal(Tdql.StatusWait, after.Status);
        Assert.Equal(2, after.Socket.Port);
        Assert.Single(await store.WaitingAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task A_live_lease_held_by_another_watcher_costs_only_its_own_tdql_not_the_batch()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var unique = new UniqueLeaseIndex(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now), unique);
        var docs = new List<BsonDocument>();
        foreach (var seed in new[] { "held", "free-1", "free-2" })
        {
            var (tdql, children) = Waiting(seed);
            await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
            docs.Add(tdql);
        }
        // Another watcher leased the first one for this very waiting state a moment ago and is about to claim it.
        var other = Guid.NewGuid().ToString("N");
        await mongo.Mongo.Leases.InsertOneAsync(new BsonDocument
        {
            { Leases.Tdql, docs[0]["_hash"] }, { Leases.ClaimId, other }, { Leases.Fingerprint, ClaimProtocol.Fingerprint(docs[0]) },
            { Leases.Expires, (Now + Duration.FromMinutes(5)).ToDateTimeUtc() }, { Leases.Attempt, 1 },
        });

        var batch = await claims.ClaimBatchAsync(docs, Duration.FromMinutes(5), 2, CancellationToken.None);

        Assert.Equal(1, unique.DuplicateKeys);
        Assert.Equal(docs.Skip(1).Select(d => d["_hash"].AsString).Order(), batch.Won.Select(c => c.TdqlHash).Order());
        Assert.Empty(batch.Failed);
        var held = await mongo.Mongo.Leases.Find(new BsonDocument(Leases.Tdql, docs[0]["_hash"])).SingleAsync();
        Assert.Equal(other, held[Leases.ClaimId].AsString);
    }

    [Fact]
    public async Task A_lease_left_from_before_a_redo_is_replaced_and_the_redo_claimed_at_once()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var unique = new UniqueLeaseIndex(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now), unique);
        var (tdql, children) = Waiting("redo-lease");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        var first = Assert.Single((await claims.ClaimBatchAsync([tdql], Duration.FromMinutes(5), 1, CancellationToken.None)).Won);
        // The API's redo while the first claim's lease is live: new socket, status wait.
        var (redo, redoChildren) = TdqlDocuments.Build("count", tdql["data"]["qhash"][0].AsString, "b'{}'", new string('a', 64), TahoeTime.ToEpochSeconds(Now), false,
            Tdql.StatusWait, new TdqlSocket("0.0.0.0", 2, "11"));
        await store.InsertTdqlAsync(redo, redoChildren, CancellationToken.None);
        var waiting = Assert.Single(await store.WaitingAsync(10, CancellationToken.None));

        var second = Assert.Single((await claims.ClaimBatchAsync([waiting], Duration.FromMinutes(5), 1, CancellationToken.None)).Won);

        Assert.Equal(0, unique.DuplicateKeys);
        var lease = await mongo.Mongo.Leases.Find(new BsonDocument(Leases.Tdql, tdql["_hash"])).SingleAsync();
        Assert.Equal(Leases.Id(second.ClaimId), lease[Leases.ClaimId].AsString);
        Assert.False(await claims.RenewAsync(first, Duration.FromMinutes(5), CancellationToken.None));
    }

    [Fact]
    public async Task A_claim_whose_work_never_began_keeps_its_attempt_when_claimed_again()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("queued");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        var claim = Assert.Single((await claims.ClaimBatchAsync([tdql], Duration.FromSeconds(-1), 1, CancellationToken.None)).Won);

        // The watcher renewing a claim it could not announce yet is not work beginning either.
        Assert.True(await claims.RenewAsync(claim, Duration.FromSeconds(-1), CancellationToken.None));
        var again = Assert.Single((await claims.ReclaimExpiredAsync(10, Duration.FromMinutes(2), CancellationToken.None)).Claims);

        Assert.Equal(1, again.Attempt);
        Assert.Equal(1, (await claims.HoldAsync(again.TdqlHash, again.ClaimId, Duration.FromMinutes(2), CancellationToken.None))!.Attempt);
    }

    [Fact]
    public async Task The_reply_of_a_claim_is_taken_once_while_its_sender_lives_only_after_its_report_is_marked_and_only_for_its_socket()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var clock = new NodaTime.Testing.FakeClock(Now);
        var claims = ClaimStore.Protocol(mongo.Mongo, clock);
        var (tdql, children) = Waiting("reply-once");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        var claim = Assert.Single((await claims.ClaimBatchAsync([tdql], Duration.FromMinutes(5), 1, CancellationToken.None)).Won);
        var socket = Tdql.Parse(tdql).Socket;

        var hold = Duration.FromSeconds(2);
        Assert.Equal(ReplyTake.Gone, await claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, socket, hold, CancellationToken.None));
        Assert.False(await claims.CommitAsync(claim.TdqlHash, Guid.NewGuid(), Duration.FromMinutes(5), CancellationToken.None));
        Assert.True(await claims.CommitAsync(claim.TdqlHash, claim.ClaimId, Duration.FromMinutes(5), CancellationToken.None));
        // A completion naming another socket (the attacker's port on the API host) takes nothing and changes nothing.
        var forged = socket with { Port = socket.Port + 1 };
        Assert.Equal(ReplyTake.OtherSocket, await claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, forged, hold, CancellationToken.None));
        var takes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, socket, hold, CancellationToken.None)));

        Assert.Single(takes, t => t == ReplyTake.Taken);
        Assert.All(takes.Where(t => t != ReplyTake.Taken), t => Assert.Equal(ReplyTake.Sending, t));
        // A live sender renews its hold: past the first hold, the reply is still its own.
        clock.Advance(Duration.FromSeconds(1.5));
        Assert.True(await claims.HoldReplyAsync(claim.TdqlHash, claim.ClaimId, hold, CancellationToken.None));
        clock.Advance(Duration.FromSeconds(1.5));
        Assert.Equal(ReplyTake.Sending, await claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, socket, hold, CancellationToken.None));
        // A sender that died mid-send renews nothing: once its hold runs out, another delivery takes over.
        clock.Advance(Duration.FromSeconds(2.5));
        Assert.Equal(ReplyTake.Taken, await claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, socket, hold, CancellationToken.None));
        await claims.ReplyDoneAsync(claim.TdqlHash, claim.ClaimId, CancellationToken.None);
        clock.Advance(Duration.FromSeconds(5));
        Assert.Equal(ReplyTake.Gone, await claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, socket, hold, CancellationToken.None));
        Assert.Equal(0, await mongo.Mongo.Leases.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task Status_children_are_written_with_every_claim_even_after_report_db_was_emptied()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        foreach (var seed in new[] { "before", "after" })
        {
            var (tdql, children) = Waiting(seed);
            await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
            Assert.True(await store.TryClaimAsync(tdql, CancellationToken.None));
            var processing = (await store.FindDocumentAsync(tdql["_hash"].AsString, CancellationToken.None))!;
            await store.CompleteAsync(StoredTdql.Parse(processing), Domain.Reports.ReportOutcome.Ready(1), Now, CancellationToken.None);

            var done = (await store.FindDocumentAsync(tdql["_hash"].AsString, CancellationToken.None))!;
            foreach (var child in done["_cref"].AsBsonArray)
            {
                Assert.True(await mongo.Mongo.ReportDb.Find(new BsonDocument("_hash", child)).AnyAsync(), $"{seed}: child {child} of the TDQL is missing");
            }
            // An operator empties report_db under the running worker.
            await mongo.Mongo.ReportDb.DeleteManyAsync(FilterDefinition<BsonDocument>.Empty);
        }
    }

    [Fact]
    public async Task An_answered_claim_whose_reply_was_never_taken_is_announced_again_not_dropped()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new TdqlStore(mongo.Mongo);
        var claims = ClaimStore.Protocol(mongo.Mongo, new FrozenClock(Now));
        var (tdql, children) = Waiting("owed");
        await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
        // Answered and stored, then the consumer died before its completion went out; the lease has expired.
        var claim = Assert.Single((await claims.ClaimBatchAsync([tdql], Duration.FromSeconds(-1), 1, CancellationToken.None)).Won);
        Assert.True(await claims.CommitAsync(claim.TdqlHash, claim.ClaimId, Duration.FromSeconds(-1), CancellationToken.None));
        var report = await store.CompleteAsync((await store.FindAsync(claim.TdqlHash, CancellationToken.None))!, Domain.Reports.ReportOutcome.Ready(1), Now, CancellationToken.None);

        var found = await claims.ReclaimExpiredAsync(10, Duration.FromMinutes(2), CancellationToken.None);

        Assert.Empty(found.Claims);
        var owed = Assert.Single(found.Replies);
        Assert.Equal((claim.TdqlHash, claim.ClaimId, report["_hash"].AsString, Tdql.StatusReady), (owed.TdqlHash, owed.ClaimId, owed.ReportId, owed.Status));
        // Renewed, so the reply consumer can still take it once.
        Assert.Equal(ReplyTake.Taken, await claims.TakeReplyAsync(claim.TdqlHash, claim.ClaimId, Tdql.Parse(tdql).Socket, Duration.FromSeconds(30), CancellationToken.None));
    }
}
