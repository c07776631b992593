using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Testing;
using MongoDB.Bson;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Cybex.Report.Domain.Tests.Reports;

/// <summary>The threatrank report's rules over an in-memory archive: D3's target check, the neighbourhood it reads.</summary>
public class ThreatrankReportTests
{
    private const string OrgA = "org-a";
    private const string OrgB = "org-b";
    private static readonly Instant Now = Instant.FromUnixTimeSeconds(1_641_006_245);
    private static readonly UserAccess Alice = new("alice", [OrgA]);

    private static BsonDocument Attr(string name) => TahoeDocuments.Attribute("hostname", name);

    private static BsonDocument Event(string org, string category, params BsonDocument[] attributes) =>
        ArchiveDocuments.Event("sighting", attributes, org, Now, category);

    private static Task<ReportOutcome> RankAsync(BsonDocument target, InMemoryArchive archive, long maxPathSteps = 1_000_000) =>
        new ThreatrankReport(archive, new FakeClock(Now), new ReportOptions { ThreatrankMaxPathSteps = maxPathSteps })
            .RunAsync(new ReportQuery { Hash = target["_hash"].AsString }, Alice, CancellationToken.None);

    [Fact]
    public async Task Another_orgs_event_is_not_found()
    {
        var shared = Attr("shared");
        var theirs = Event(OrgB, "unknown", shared, Attr("b"));

        var outcome = await RankAsync(theirs, new InMemoryArchive([shared, theirs]));

        Assert.Equal(Tdql.StatusFailed, outcome.Status);
        Assert.Equal("EventNotFound('Event not found')! -- Event not found", outcome.Data.AsString);
    }

    [Fact]
    public async Task A_malicious_target_ranks_minus_one_without_reading_its_neighbourhood()
    {
        var target = Event(OrgA, "malicious", Attr("a"));
        var archive = new InMemoryArchive([target]);

        var outcome = await RankAsync(target, archive);

        Assert.Equal(-1, outcome.Data.ToInt32());
        Assert.Equal(1, archive.Reads);
    }

    [Fact]
    public async Task The_paths_span_all_orgs()
    {
        var (a, b, c) = (Attr("a"), Attr("b"), Attr("c"));
        var target = Event(OrgA, "unknown", a, c);
        var theirs = Event(OrgB, "malicious", a, b);

        var outcome = await RankAsync(target, new InMemoryArchive([a, b, c, target, theirs]));

        // One path target–a–theirs: -1 × ½ (theirs' attributes) ÷ 2 (a's holders) × ½ (target's attributes).
        Assert.Equal(-0.125, outcome.Data.AsDouble);
    }

    [Fact]
    public async Task No_path_to_a_malicious_event_ranks_zero()
    {
        var a = Attr("a");
        var target = Event(OrgA, "unknown", a);
        var peer = Event(OrgA, "benign", a);

        var outcome = await RankAsync(target, new InMemoryArchive([a, target, peer]));

        Assert.Equal(new BsonInt32(0), outcome.Data);
    }

    [Fact]
    public async Task Events_beyond_three_attribute_hops_are_never_read()
    {
        // A chain target –a1– e1 –a2– e2 –a3– e3 –a4– e4: paths of 7 nodes end at e3; e4 cannot matter.
        var attrs = Enumerable.Range(1, 4).Select(i => Attr($"a{i}")).ToList();
        var target = Event(OrgA, "unknown", attrs[0]);
        var chain = Enumerable.Range(1, 4)
            .Select(i => Event(OrgB, i == 3 ? "malicious" : "unknown", i < 4 ? [attrs[i - 1], attrs[i]] : [attrs[i - 1]])).ToList();
        var archive = new InMemoryArchive([.. attrs, target, .. chain]);

        var outcome = await RankAsync(target, archive);

        Assert.Equal(Tdql.StatusReady, outcome.Status);
        Assert.True(outcome.Data.AsDouble < 0);
        Assert.Equal(3, archive.HoldersAskedFor.Count);
        Assert.DoesNotContain(attrs[3]["_hash"].AsString, archive.HoldersAskedFor.SelectMany(a => a));
    }

    [Fact]
    public async Task A_neighbourhood_too_dense_for_the_step_limit_fails_with_its_reason()
    {
        var a = Attr("a");
        var target = Event(OrgA, "unknown", a);
        var others = Enumerable.Range(0, 5).Select(i => Event(OrgB, "malicious", a, Attr($"m{i}"))).ToList();

        var outcome = await RankAsync(target, new InMemoryArchive([a, target, .. others]), maxPathSteps: 2);

        Assert.Equal(Tdql.StatusFailed, outcome.Status);
        Assert.StartsWith("ThreatrankLimit(", outcome.Data.AsString);
    }
}
