using Cybex.Report.Domain.Reports;
using Cybex.Report.Storage.Archive;
using Cybex.Report.Testing;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;
using NodaTime;
using Xunit;

namespace Cybex.Report.Storage.Tests;

/// <summary>
/// D14: a related report never carries another org's data. Two orgs share a session, and a chain of two sessions
/// leads from the user's event through another of the user's events to another org's event; every related shape
/// at levels 1 to 3 is searched for the other org's values, hashes and documents.
/// </summary>
public class RelatedAccessTests
{
    private const string OrgA = "org-a";
    private const string OrgB = "org-b";
    private static readonly Instant T0 = Instant.FromUnixTimeSeconds(1_620_000_000);

    private sealed record Archive(List<BsonDocument> Docs, HashSet<string> OtherOrgHashes, HashSet<string> OtherOrgValues, HashSet<string> OwnSecondHopValues, HashSet<string> OtherEventHashes);

    private static Archive Build()
    {
        var docs = new List<BsonDocument>();
        BsonDocument Keep(BsonDocument d)
        {
            docs.Add(d);
            return d;
        }
        var shared = Keep(TahoeDocuments.Attribute("ipv4", "198.51.100.23"));
        // The user's own events: the first one holds the queried address, the second is reached through session 1.
        var ownHost = Keep(TahoeDocuments.Attribute("hostname", "ws-1.org-a.example"));
        var a1 = Keep(ArchiveDocuments.Event("sighting", [shared, ownHost], OrgA, T0));
        var ownMail = Keep(TahoeDocuments.Attribute("email_addr", "analyst@org-a.example"));
        var ownFile = Keep(TahoeDocuments.Object("file", [Keep(TahoeDocuments.Attribute("filename", "invoice-a.pdf"))]));
        var a2 = Keep(ArchiveDocuments.Event("email", [ownMail, ownFile], OrgA, T0 + Duration.FromSeconds(5)));
        // The other org's events: one in the shared session (and earlier than the user's, so a limit of 10 by
        // timestamp would reach it first), one two session hops away.
        var otherMail = Keep(TahoeDocuments.Attribute("email_addr", "ceo@org-b.example"));
        var otherSubject = Keep(TahoeDocuments.Attribute("subject", "Org B merger, confidential"));
        var otherFile = Keep(TahoeDocuments.Object("file", [Keep(TahoeDocuments.Attribute("filename", "merger-b.xlsx"))]));
        var b1 = Keep(ArchiveDocuments.Event("email", [otherMail, otherSubject, otherFile, shared], OrgB, T0 - Duration.FromSeconds(5)));
        var otherIp = Keep(TahoeDocuments.Attribute("ipv4", "203.0.113.250"));
        var b2 = Keep(ArchiveDocuments.Event("sighting", [otherIp], OrgB, T0 + Duration.FromSeconds(10)));
        Keep(ArchiveDocuments.Session("phishing_campaign", [Keep(TahoeDocuments.Attribute("sessionid", "s-1"))], [b1["_hash"].AsString, a1["_hash"].AsString, a2["_hash"].AsString]));
        Keep(ArchiveDocuments.Session("phishing_campaign", [Keep(TahoeDocuments.Attribute("sessionid", "s-2"))], [a2["_hash"].AsString, b2["_hash"].AsString]));

        var otherOnly = new[] { otherMail, otherSubject, otherFile, otherIp, b1, b2 }
            .Concat(otherFile["_cref"].AsBsonArray.Select(h => docs.First(d => d["_hash"] == h))).ToList();
        return new Archive(
            docs,
            otherOnly.Select(d => d["_hash"].AsString).ToHashSet(),
            ["ceo@org-b.example", "Org B merger, confidential", "merger-b.xlsx", "203.0.113.250"],
            ["analyst@org-a.example", "invoice-a.pdf"],
            [b1["_hash"].AsString, b2["_hash"].AsString]);
    }

    public static TheoryData<int, string> Shapes()
    {
        var data = new TheoryData<int, string>();
        foreach (var level in new[] { 1, 2, 3 })
        {
            foreach (var shape in new[]
            {
                """ "summary": true """, """ "summary": false """, """ "summary_graph": true """,
                """ "summary": false, "return_type": "all" """, """ "summary": false, "return_type": "attribute" """,
                """ "summary": false, "return_type": "object" """, """ "summary": false, "return_type": "event" """,
                """ "summary": false, "return_type": "session" """,
            })
            {
                data.Add(level, shape);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task No_other_org_value_hash_or_document_reaches_a_related_report(int level, string shape)
    {
        await using var mongo = new ScratchDatabases("t");
        var archive = Build();
        await mongo.Mongo.Archive.InsertManyAsync(archive.Docs.Select(d => d.DeepClone().AsBsonDocument));
        var related = new RelatedReport(new ArchiveStore(mongo.Mongo));
        var query = QueryValidator.Validate("related", PyJsonReader.Parse($$"""{"sub_type": "ipv4", "data": "198.51.100.23", "level": {{level}}, {{shape}}}"""));

        var outcome = await related.RunAsync(query, new TimeRange(NodaConstants.UnixEpoch, NodaConstants.UnixEpoch), new UserAccess("alice", [OrgA]), CancellationToken.None);

        Assert.Equal(Tdql.StatusReady, outcome.Status);
        var data = outcome.Data;
        // Session documents are kept whole, as under D14 in the fixtures: their _ref lists member event hashes
        // (never the events' contents). Everything else is searched for any trace of the other org.
        var text = WithoutSessionMembers(data, archive.OtherEventHashes).ToJson();
        foreach (var value in archive.OtherOrgValues) Assert.DoesNotContain(value, text);
        foreach (var hash in archive.OtherOrgHashes) Assert.DoesNotContain(hash, text);
        Assert.DoesNotContain(OrgB, text);
        // The user's own data behind the session is still found.
        if (level >= 2 && !shape.Contains("return_type"))
        {
            foreach (var value in archive.OwnSecondHopValues) Assert.Contains(value, data.ToJson());
        }
    }

    /// <summary>The report with the given event hashes taken out of every session document's member list.</summary>
    private static BsonValue WithoutSessionMembers(BsonValue data, HashSet<string> events) =>
        !data.IsBsonArray ? data : new BsonArray(data.AsBsonArray.Select(d => d is BsonDocument doc && doc.GetValue("itype", "") == "session"
            ? new BsonDocument(doc).Set("_ref", new BsonArray(doc["_ref"].AsBsonArray.Where(h => !events.Contains(h.AsString))))
            : d));
}
