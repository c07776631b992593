using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Time;
using Cybex.Report.Testing;
using MongoDB.Bson;
using NodaTime;
using Xunit;

namespace Cybex.Report.Domain.Tests.Reports;

/// <summary>The related report's rules over an in-memory archive: pages, session hops, D14's member filter.</summary>
public class RelatedReportTests
{
    private const string OrgA = "org-a";
    private const string OrgB = "org-b";
    private static readonly Instant T0 = Instant.FromUnixTimeSeconds(1_620_000_000);
    private static readonly TimeRange AllTime = new(NodaConstants.UnixEpoch, NodaConstants.UnixEpoch);
    private static readonly UserAccess Alice = new("alice", [OrgA]);
    private static readonly BsonDocument Queried = TahoeDocuments.Attribute("ipv4", "198.51.100.23");

    private static ReportQuery Query(int level = 1, int page = 1, bool summary = false, string returnType = "all") =>
        new() { SubType = "ipv4", Data = "198.51.100.23", Level = level, Page = page, Summary = summary, ReturnType = returnType };

    private static BsonDocument Event(string org, int second, params BsonDocument[] children) =>
        ArchiveDocuments.Event("sighting", [Queried, .. children], org, T0 + Duration.FromSeconds(second));

    private static BsonDocument Host(string name) => TahoeDocuments.Attribute("hostname", name);

    private static BsonDocument Session(string id, params BsonDocument[] members) =>
        ArchiveDocuments.Session("campaign", [TahoeDocuments.Attribute("sessionid", id)], members.Select(m => m["_hash"].AsString));

    private static async Task<(BsonValue Data, int Current, int Next, InMemoryArchive Archive)> RunAsync(ReportQuery query, params BsonDocument[] docs)
    {
        var archive = new InMemoryArchive(docs);
        var outcome = await new RelatedReport(archive).RunAsync(query, AllTime, Alice, CancellationToken.None);
        Assert.Equal(Tdql.StatusReady, outcome.Status);
        return (outcome.Data, outcome.CurrentPage, outcome.NextPage, archive);
    }

    private static HashSet<string> Hashes(BsonValue data) => data.AsBsonArray.Select(d => d["_hash"].AsString).ToHashSet();

    [Fact]
    public async Task Level_one_reports_the_events_and_what_they_hold_but_not_their_sessions()
    {
        var host = Host("ws-1");
        var own = Event(OrgA, 0, host);
        var later = Event(OrgA, 5, Host("ws-2"));
        var session = Session("s-1", own, later);

        var (data, _, _, _) = await RunAsync(Query(level: 1), Queried, host, own, later, session);

        var hashes = Hashes(data);
        Assert.Contains(own["_hash"].AsString, hashes);
        Assert.Contains(host["_hash"].AsString, hashes);
        Assert.DoesNotContain(session["_hash"].AsString, hashes);
    }

    [Fact]
    public async Task Level_two_expands_sessions_to_the_users_own_members_only()
    {
        var ownHost = Host("ws-1");
        var own = Event(OrgA, 0, ownHost);
        var ownPeerHost = Host("ws-peer");
        var ownPeer = ArchiveDocuments.Event("email", [ownPeerHost], OrgA, T0 + Duration.FromSeconds(5));
        var otherHost = Host("secret.org-b.example");
        var other = ArchiveDocuments.Event("email", [otherHost], OrgB, T0 - Duration.FromSeconds(5));
        var session = Session("s-1", other, own, ownPeer);

        var (data, _, _, _) = await RunAsync(Query(level: 2), Queried, ownHost, own, ownPeerHost, ownPeer, otherHost, other, session);

        var hashes = Hashes(data);
        Assert.Contains(session["_hash"].AsString, hashes);
        Assert.Contains(ownPeer["_hash"].AsString, hashes);
        Assert.Contains(ownPeerHost["_hash"].AsString, hashes);
        // D14: the other org's member is neither reported nor expanded.
        Assert.DoesNotContain(other["_hash"].AsString, hashes);
        Assert.DoesNotContain(otherHost["_hash"].AsString, hashes);
    }

    [Fact]
    public async Task A_session_yields_its_ten_earliest_members_of_the_users_orgs()
    {
        var own = Event(OrgA, 0);
        // Twelve members besides the queried event, listed latest first: the ten earliest by timestamp are taken.
        var members = Enumerable.Range(1, 12).Reverse().Select(i => ArchiveDocuments.Event("email", [Host($"m-{i}")], OrgA, T0 + Duration.FromSeconds(i))).ToList();
        var hosts = Enumerable.Range(1, 12).Select(i => Host($"m-{i}"));
        var session = Session("s-1", [own, .. members]);

        var (data, _, _, _) = await RunAsync(Query(level: 2, returnType: "event"), [Queried, own, .. hosts, .. members, session]);

        var reported = data.AsBsonArray.Select(d => d["timestamp"].ToDouble() - T0.ToUnixTimeSeconds()).Order().ToList();
        // The queried event (second 0) is one of the ten; it is expanded once only.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (double)i), reported);
    }

    [Fact]
    public async Task Page_two_starts_after_the_first_ten_events()
    {
        var events = Enumerable.Range(0, 12).Select(i => Event(OrgA, i)).ToList();

        var (data, current, next, _) = await RunAsync(Query(page: 2, returnType: "event"), [Queried, .. events]);

        Assert.Equal(events.Skip(10).Select(e => e["_hash"].AsString).ToHashSet(), Hashes(data));
        Assert.Equal((2, 3), (current, next));
    }

    [Fact]
    public async Task A_page_past_the_end_is_an_empty_summary_whose_next_page_is_one()
    {
        var (data, current, next, _) = await RunAsync(Query(page: 3, summary: true), Queried, Event(OrgA, 0));

        Assert.Equal(new BsonDocument(), data);
        Assert.Equal((3, 1), (current, next));
    }

    [Fact]
    public async Task Each_session_hop_costs_two_reads_whatever_the_frontier()
    {
        // Ten events, each in a session with a peer of its own: the first hop reaches the ten peers, the second
        // finds nothing new.
        var events = Enumerable.Range(0, 10).Select(i => Event(OrgA, i)).ToList();
        var peers = Enumerable.Range(0, 10).Select(i => ArchiveDocuments.Event("email", [Host($"p-{i}")], OrgA, T0 + Duration.FromSeconds(100 + i))).ToList();
        var sessions = events.Select((e, i) => Session($"s-{i}", e, peers[i])).ToList();

        var (_, _, _, archive) = await RunAsync(Query(level: 3), [Queried, .. events, .. peers, .. sessions]);

        // The page, then two reads for each of the two hops, then the documents.
        Assert.Equal(1 + 2 * 2 + 1, archive.Reads);
    }
}
