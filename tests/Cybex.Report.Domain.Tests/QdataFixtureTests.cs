using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Queries;
using MongoDB.Bson;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class QdataFixtureTests
{
    public static TheoryData<string> Archives => new() { "small", "medium" };

    private static QueryCipher Cipher => QueryCipher.FromPem(Fixtures.Crypto["private_key_pem"].AsString);

    [Theory]
    [MemberData(nameof(Archives))]
    public void Every_stored_qdata_decodes_to_what_the_original_decoded(string archive)
    {
        var queries = Fixtures.AllQueries(Fixtures.ByName(archive)).Where(q => !q.Contains("tampered")).ToList();
        Assert.True(queries.Count > 100);
        Assert.All(queries, q =>
        {
            var decoded = QueryDecoder.Decode(q["tdql_qdata"].AsString, q["encrypted"].AsBoolean, Cipher);
            var expected = Canonical.Decanonical(q["qdata_text"].AsString);
            Assert.Equal(PyJson.Dumps(expected), PyJson.Dumps(decoded));
        });
    }

    [Fact]
    public void Tampered_query_fails_to_decode()
    {
        var tampered = Fixtures.Archives.SelectMany(Fixtures.AllQueries).Where(q => q.Contains("tampered")).ToList();
        Assert.NotEmpty(tampered);
        Assert.All(tampered, q => Assert.Throws<QueryDecodeException>(() => QueryDecoder.Decode(q["tdql_qdata"].AsString, true, Cipher)));
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Validation_failures_carry_the_original_message(string archive)
    {
        var failing = Fixtures.AllQueries(Fixtures.ByName(archive))
            .Where(q => q.GetValue("error", BsonNull.Value) is BsonDocument e && e["kind"] == "ValidationError").ToList();
        Assert.True(failing.Count >= 20);
        Assert.All(failing, q =>
        {
            var qdata = QueryDecoder.Decode(q["tdql_qdata"].AsString, q["encrypted"].AsBoolean, Cipher);
            var error = Assert.Throws<QueryValidationException>(() => QueryValidator.Validate(q["qtype"].AsString, qdata));
            Assert.Equal(q["error"]["message"].AsString, error.Message);
            Assert.Contains(q["error"]["message"].AsString, q["report"]["data"].AsString);
            Assert.StartsWith($"<ValidationError: ", error.ReportText);
        });
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Ready_queries_pass_validation(string archive)
    {
        var ready = Fixtures.AllQueries(Fixtures.ByName(archive)).Where(q => q["status"] == "ready").ToList();
        Assert.All(ready, q =>
        {
            var qdata = QueryDecoder.Decode(q["tdql_qdata"].AsString, q["encrypted"].AsBoolean, Cipher);
            var parsed = QueryValidator.Validate(q["qtype"].AsString, qdata);
            Assert.True(parsed.Level is >= 1 and <= 3);
        });
    }

    [Fact]
    public void Ip_is_rewritten_to_ipv4_and_hash_is_lower_cased()
    {
        var q = QueryValidator.Validate("threatrank", PyJsonReader.Parse("""{"_hash":"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789","sub_type":"ip"}"""));
        Assert.Equal("ipv4", q.SubType);
        Assert.Equal("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", q.Hash);
    }

    [Theory]
    [InlineData("related", """{"sub_type":"ipv4","data":"x","level":2.0}""", 2, 1)]
    [InlineData("related", """{"sub_type":"ipv4","data":"x","page":3.0}""", 1, 3)]
    public void Integral_floats_are_taken_as_integers(string qtype, string json, int level, int page)
    {
        var q = QueryValidator.Validate(qtype, PyJsonReader.Parse(json));
        Assert.Equal((level, page), (q.Level, q.Page));
    }

    [Theory]
    [InlineData("related", """{"data":"x"}""", "'sub_type' is a required property")]
    [InlineData("threatrank", """{}""", "'_hash' is a required property")]
    [InlineData("related", """{"sub_type":"ipv4","data":"x","page":2.5}""", "2.5 is not of type 'integer'")]
    [InlineData("count", """{"sub_type":"ipv4","data":"x","a":1,"b":2}""", "Additional properties are not allowed ('a', 'b' were unexpected)")]
    public void Missing_or_wrong_fields_fail_with_a_clear_message(string qtype, string json, string message)
    {
        var error = Assert.Throws<QueryValidationException>(() => QueryValidator.Validate(qtype, PyJsonReader.Parse(json)));
        Assert.Equal(message, error.Message);
    }
}
