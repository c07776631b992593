using System.Text;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Tests.Reports;
using Cybex.Report.Testing;
using MongoDB.Bson;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Cybex.Report.Domain.Tests.Answering;

/// <summary>The use case over in-memory ports: what is stored, and when nothing is.</summary>
public class QueryAnswererTests
{
    private const string Org = "org-a";
    private static readonly Instant Now = Instant.FromUnixTimeSeconds(1_641_006_245);
    private static readonly string Alice = new('a', 64);
    private const string CountText = """{"data": "\"198.51.100.23\"", "sub_type": "\"ipv4\""}""";

    private sealed class Identity(params UserAccess[] users) : IIdentityReader
    {
        public Task<UserAccess?> FindUserAsync(string userHash, CancellationToken ct) => Task.FromResult(users.FirstOrDefault(u => u.UserHash == userHash));
    }

    private readonly InMemoryTdqlStore _store = new();

    private QueryAnswerer Answerer()
    {
        var ip = TahoeDocuments.Attribute("ipv4", "198.51.100.23");
        var events = Enumerable.Range(0, 3).Select(i => ArchiveDocuments.Event("sighting", [ip], Org, Now - Duration.FromHours(i)));
        return new QueryAnswerer(_store, new Identity(new UserAccess(Alice, [Org])), new InMemoryArchive([ip, .. events]), new FakeClock(Now), null, new ReportOptions());
    }

    private StoredTdql Stored(string status, string user, string text = CountText)
    {
        var (doc, _) = TdqlDocuments.Build(ReportTypes.Count, new string('1', 64), PyBytesLiteral.Format(Encoding.UTF8.GetBytes(text)), user, 1_641_000_000, false,
            status, new TdqlSocket("localhost", 40000, "n"));
        var stored = StoredTdql.Parse(doc);
        _store.Tdqls[stored.Hash] = stored;
        return stored;
    }

    private static Task<bool> Commit(CancellationToken _) => Task.FromResult(true);

    [Fact]
    public async Task A_count_is_generated_and_stored_with_the_tdqls_new_status()
    {
        var tdql = Stored(Tdql.StatusProcessing, Alice);

        var answered = await Answerer().AnswerAsync(tdql.Hash, Commit, null, CancellationToken.None);

        Assert.Equal(AnswerResult.Answered, answered.Result);
        Assert.Equal(3, answered.Report!["data"].ToInt32());
        Assert.Equal((tdql.Hash, answered.Report["_hash"].AsString, Tdql.StatusReady), Assert.Single(_store.Completions));
    }

    [Fact]
    public async Task A_claim_lost_before_the_commit_stores_nothing()
    {
        var tdql = Stored(Tdql.StatusProcessing, Alice);

        var answered = await Answerer().AnswerAsync(tdql.Hash, _ => Task.FromResult(false), null, CancellationToken.None);

        Assert.Equal(AnswerResult.ClaimLost, answered.Result);
        Assert.Empty(_store.Completions);
    }

    [Fact]
    public async Task A_tdql_an_api_redo_set_back_to_wait_is_left_alone()
    {
        var tdql = Stored(Tdql.StatusWait, Alice);

        var answered = await Answerer().AnswerAsync(tdql.Hash, Commit, null, CancellationToken.None);

        Assert.Equal(AnswerResult.NotProcessing, answered.Result);
        Assert.Empty(_store.Completions);
    }

    [Fact]
    public async Task A_finished_tdql_is_announced_again_not_answered_again()
    {
        var tdql = Stored(Tdql.StatusProcessing, Alice);
        var first = await Answerer().AnswerAsync(tdql.Hash, Commit, null, CancellationToken.None);
        var (done, _) = TdqlDocuments.ReplaceChildren(tdql.Document, new Dictionary<string, BsonValue>
        {
            ["report_id"] = first.Report!["_hash"].AsString, ["status"] = Tdql.StatusReady,
        });
        _store.Tdqls[tdql.Hash] = StoredTdql.Parse(done);

        var again = await Answerer().AnswerAsync(tdql.Hash, Commit, null, CancellationToken.None);

        Assert.Equal(AnswerResult.Reannounced, again.Result);
        Assert.Single(_store.Completions);
    }

    [Fact]
    public async Task An_unknown_user_fails_the_query_with_the_originals_text()
    {
        var tdql = Stored(Tdql.StatusProcessing, new string('b', 64));

        var answered = await Answerer().AnswerAsync(tdql.Hash, Commit, null, CancellationToken.None);

        Assert.Equal(Tdql.StatusFailed, answered.Status);
        Assert.Equal("InvalidUserError('User does not exist in identity db!')! -- User does not exist in identity db!", answered.Report!["data"].AsString);
    }

    [Fact]
    public async Task A_report_the_store_refuses_for_good_fails_with_the_server_error_text()
    {
        var tdql = Stored(Tdql.StatusProcessing, Alice);
        _store.Refuse = true;

        var answered = await Answerer().AnswerAsync(tdql.Hash, Commit, null, CancellationToken.None);

        Assert.Equal((Tdql.StatusFailed, ReportOutcome.ServerErrorText), (answered.Status, answered.Report!["data"].AsString));
        Assert.StartsWith(nameof(ReportNotStorableException), answered.PermanentError);
    }

    [Fact]
    public async Task A_query_given_up_fails_with_the_give_up_text_without_generating()
    {
        var tdql = Stored(Tdql.StatusProcessing, Alice);

        var answered = await Answerer().AnswerAsync(tdql.Hash, Commit, "Failed after 3 attempts!", CancellationToken.None);

        Assert.Equal("Failed after 3 attempts!", answered.Report!["data"].AsString);
    }

    [Fact]
    public void A_stored_tdql_is_self_consistent_and_a_copy_with_another_user_under_the_same_edges_is_not()
    {
        var tdql = Stored(Tdql.StatusProcessing, Alice);
        var forged = tdql.Document.DeepClone().AsBsonDocument;
        forged["data"]["userid"] = new BsonArray { new string('b', 64) };

        Assert.True(tdql.IsSelfConsistent());
        Assert.False(StoredTdql.Parse(forged).IsSelfConsistent());
    }
}
