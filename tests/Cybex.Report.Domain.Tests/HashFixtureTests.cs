using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class HashFixtureTests
{
    public static TheoryData<string> Archives => new() { "small", "medium" };

    [Theory]
    [MemberData(nameof(Archives))]
    public void Every_archive_document_hash_is_recomputed_exactly(string archive)
    {
        var docs = Fixtures.ByName(archive).ArchiveDocs;
        Assert.NotEmpty(docs);
        Assert.All(docs, doc => Assert.Equal(doc["_hash"].AsString, TahoeHash.Recompute(doc)));
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Every_identity_document_hash_is_recomputed_exactly(string archive)
    {
        var docs = Fixtures.ByName(archive).IdentityDocs;
        Assert.NotEmpty(docs);
        Assert.All(docs, doc => Assert.Equal(doc["_hash"].AsString, TahoeHash.Recompute(doc)));
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Every_report_hash_is_recomputed_exactly(string archive)
    {
        var reports = Fixtures.AllQueries(Fixtures.ByName(archive)).Select(q => q["report"].AsBsonDocument).ToList();
        Assert.True(reports.Count > 100);
        Assert.All(reports, r => Assert.Equal(r["_hash"].AsString, TahoeHash.Report(r["sub_type"].AsString, r["data"])));
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Every_tdql_hash_and_qhash_is_recomputed_exactly(string archive)
    {
        var file = Fixtures.ByName(archive);
        Assert.All(Fixtures.AllQueries(file), q =>
        {
            Assert.Equal(q["qhash"].AsString, Canonical.Sha256Hex(q["qdata_text"].AsString));
            Assert.Equal(q["tdql_hash"].AsString, TahoeHash.Tdql(q["qtype"].AsString, q["qhash"].AsString, q["userid"].AsString, file.FrozenNow));
        });
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Canonical_qdata_text_is_reproduced_byte_for_byte(string archive)
    {
        var queries = Fixtures.AllQueries(Fixtures.ByName(archive)).Where(q => q["qdata_encoding"] == "canonical").ToList();
        Assert.NotEmpty(queries);
        Assert.All(queries, q => Assert.Equal(q["qdata_text"].AsString, Canonical.Of(q["qdata"])));
    }

    [Fact]
    public void Process_query_tdql_documents_keep_their_hash_and_child_edges()
    {
        foreach (var pq in Fixtures.Small.ProcessQuery)
        {
            var wait = pq["tdql_doc_wait"].AsBsonDocument;
            var data = wait["data"].AsBsonDocument;
            Assert.Equal(wait["_hash"].AsString, TahoeHash.Tdql(data["qtype"][0].AsString, data["qhash"][0].AsString, data["userid"][0].AsString, data["timestamp"][0].AsDouble));
            foreach (var el in data.Where(e => e.Name != "socket"))
            {
                Assert.Contains(TahoeHash.Attribute(el.Name, el.Value[0]), wait["_cref"].AsBsonArray.Select(v => v.AsString));
            }
        }
    }

    [Theory]
    [InlineData("ipv4", "\"1.1.1.1\"", "4469d1e06fdd2b03ce89abf4dcc354df0be231b97e7293fe1750232d2d3b23a6")]
    [InlineData("filename", "\"  virus.exe  \"", "38d079afbbdf92021aecf8061ac9230d1eeb6a51877b6517366825e22b50d3a6")]
    [InlineData("status", "\"wait\"", "64d6f946a875d0fc05774ef1e1fe4eaa4b2f1700c71df9a1bb33b0c0cfcbad89")]
    [InlineData("port", "22", "2986abe1c3e1f50f343d464e56f6ffea9d63360230aab9def86eb477ed4f03f7")]
    [InlineData("port", "22.0", "3d4038f4d2d16f55b477d7428b81d9c653af9791a4ce58c2f5e1190d5c245d36")]
    [InlineData("success", "true", "c9e1af37355d1d0ceaeadd03bf08b61ab12cd70b9acb6a93dc22283cacaeb47c")]
    [InlineData("note", "null", "d0bd54d17a9583bf7ec048faac0ac4b0c58ff9463987e86057d534648cc3413a")]
    [InlineData("filesize", "20012", "370fdc2ddf7763e44c950a5e5e09c56df3137454379883f4ad0edd868bad9060")]
    public void Attribute_hash_matches_the_documented_vectors(string subType, string json, string expected) =>
        Assert.Equal(expected, TahoeHash.Attribute(subType, PyJsonReader.Parse(json)));

    [Fact]
    public void Event_hash_uses_the_python_float_repr_of_the_timestamp()
    {
        var data = new BsonDocument("test", new BsonArray { "test" });
        Assert.Equal("2a3cca131a1724c92cc1a823da9603b60bf037550e07bcabd1f1622d77762983",
            TahoeHash.Event("test", "a441b15fe9a3cf56661190a0b93b9dec7d04127288cc87250967cf3b52894d11", -1, data));
    }

    [Fact]
    public void Tdql_hash_buckets_the_timestamp_by_utc_hour()
    {
        Assert.Equal("e577ffea17233a96c7d23e1b045031ae382e521017fa3ef579680d85e515ffaa",
            TahoeHash.Tdql("count", "fbe5f7740fcce42ecb84249d1db728200fb089255d1956fcb7b88e819ee72825",
                "623dd0070664fea4f77d7b6c9f108b5370cbae6b2b6c83dc5279a750be3609b0", 1795872593.03));
    }
}
