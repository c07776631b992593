using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using System.Text;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// Hostile TDQLs, written straight into report_db: each ends failed with a clear message (or, when not even
/// a TDQL, is marked and skipped) while the worker keeps answering good queries.
/// </summary>
public class HostileInputTests
{
    private const string CountText = """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""";

    private static byte[] Flip(byte[] blob, int index)
    {
        var copy = (byte[])blob.Clone();
        copy[index < 0 ? copy.Length + index : index] ^= 0x01;
        return copy;
    }

    private static string Literal(byte[] bytes) => PyBytesLiteral.Format(bytes);

    private static string Utf8Literal(string text) => Literal(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Hostile_queries_fail_with_clear_messages_and_the_worker_keeps_serving()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        var cipher = QueryCipher.FromPem(File.ReadAllText(env.PrivateKeyFile));
        var blob = cipher.Encrypt(Encoding.UTF8.GetBytes(CountText));
        var otherKey = KeyPairs.Generate();
        var nested = new string('[', 10_000) + new string(']', 10_000);
        var cases = new (string Name, string QType, string Literal, bool Encrypted, string Expected)[]
        {
            ("tampered ciphertext", "count", Literal(Flip(blob, -1)), true, "MAC check failed"),
            ("tampered tag", "count", Literal(Flip(blob, 256 + 16)), true, "MAC check failed"),
            ("tampered nonce", "count", Literal(Flip(blob, 256)), true, "MAC check failed"),
            ("tampered session key", "count", Literal(Flip(blob, 0)), true, "session key does not decrypt"),
            ("another key", "count", Literal(QueryCipher.FromPem(otherKey.PublicPem).Encrypt(Encoding.UTF8.GetBytes(CountText))), true, "session key does not decrypt"),
            ("truncated", "count", Literal(blob[..200]), true, "shorter than"),
            ("empty", "count", "b''", true, "shorter than"),
            ("python code", "count", "__import__('os').system('touch /tmp/pwned')", false, "not a Python bytes literal"),
            ("str literal", "count", "'{}'", false, "not a Python bytes literal"),
            ("invalid utf-8", "count", Literal([0xff, 0xfe, 0x7b]), false, "not valid UTF-8"),
            ("10 MB", "count", "b'" + new string('a', 10 * 1024 * 1024) + "'", false, "longer than"),
            ("nested 10000 deep", "count", Utf8Literal(nested), false, "is not of type 'object'"),
            ("non-object", "count", Utf8Literal("\"just text\""), false, "'just text' is not of type 'object'"),
            ("list", "count", Utf8Literal("[1, 2]"), false, "[1, 2] is not of type 'object'"),
            ("level text", "related", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "\"x\"", "level": "\"2\""}"""), false, "'2' is not of type 'integer'"),
            ("page bool", "related", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "\"x\"", "page": "true"}"""), false, "True is not of type 'integer'"),
            ("summary int", "related", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "\"x\"", "summary": "1"}"""), false, "1 is not of type 'boolean'"),
            ("category int", "count", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "\"x\"", "category": "5"}"""), false, "5 is not one of"),
            ("hash int", "threatrank", Utf8Literal("""{"_hash": "5"}"""), false, "5 is not of type 'string'"),
            ("from list", "count", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "\"x\"", "from": "[\"1\"]"}"""), false, "is not of type 'string'"),
            ("data object", "count", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "{\"a\": \"1\"}"}"""), false, "is not of type 'boolean', 'integer'"),
            ("huge page", "related", Utf8Literal("""{"sub_type": "\"ipv4\"", "data": "\"x\"", "page": "99999999999"}"""), false, "is greater than the maximum"),
        };
        var store = new TdqlStore(env.Mongo);
        var hashes = new List<(string Name, string Hash, string Expected)>();
        var i = 0;
        foreach (var (name, qtype, literal, encrypted, expected) in cases)
        {
            var (tdql, children) = TdqlDocuments.Build(qtype, (i++).ToString("x64"), literal, env.UserId("alice"), env.Fixture.FrozenNow, encrypted,
                Tdql.StatusWait, new TdqlSocket("0.0.0.0", 9, "0123456789abcdef0123456789abcdef"));
            await store.InsertTdqlAsync(tdql, children, CancellationToken.None);
            hashes.Add((name, tdql["_hash"].AsString, expected));
        }
        // Not even TDQLs: a non-list status and a missing qdata.
        var (broken, _) = TdqlDocuments.Build("count", new string('e', 64), Utf8Literal(CountText), env.UserId("alice"), env.Fixture.FrozenNow, false,
            Tdql.StatusWait, new TdqlSocket("0.0.0.0", 9, "0123456789abcdef0123456789abcdef"));
        broken["data"]["status"] = "wait";
        await env.Mongo.ReportDb.InsertOneAsync(broken);
        var (noQdata, _) = TdqlDocuments.Build("count", new string('f', 64), Utf8Literal(CountText), env.UserId("alice"), env.Fixture.FrozenNow, false,
            Tdql.StatusWait, new TdqlSocket("0.0.0.0", 9, "0123456789abcdef0123456789abcdef"));
        noQdata["data"].AsBsonDocument.Remove("qdata");
        await env.Mongo.ReportDb.InsertOneAsync(noQdata);

        using var good = await env.Submitter.SubmitTextAsync("count", CountText, env.UserId("bob"), CancellationToken.None);
        Assert.True(await good.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "a good query was not answered");

        foreach (var (name, hash, expected) in hashes)
        {
            Tdql? tdql = null;
            for (var n = 0; n < 100 && tdql?.IsFinished != true; n++)
            {
                tdql = (await store.FindAsync(hash, CancellationToken.None))!.Tdql;
                if (!tdql.IsFinished) await Task.Delay(100);
            }
            Assert.True(tdql!.Status == Tdql.StatusFailed, $"{name}: status {tdql.Status}");
            var report = await store.FindReportAsync(tdql.ReportId, CancellationToken.None);
            Assert.True(report!["data"].AsString.Contains(expected, StringComparison.Ordinal), $"{name}: {report["data"].AsString[..Math.Min(200, report["data"].AsString.Length)]}");
            Assert.True(report["data"].AsString.Length < 1000, $"{name}: report text is {report["data"].AsString.Length} characters");
        }
        foreach (var doc in new[] { broken, noQdata })
        {
            // Read raw: a marked document is no longer "the TDQL" of its hash.
            Task<BsonDocument> Raw() => env.Mongo.ReportDb.Find(new BsonDocument("_hash", doc["_hash"])).FirstAsync();
            var stored = await Raw();
            for (var n = 0; n < 50 && !stored.Contains(TdqlFilters.MalformedField); n++)
            {
                await Task.Delay(100);
                stored = await Raw();
            }
            Assert.True(stored!.Contains(TdqlFilters.MalformedField), "a malformed TDQL was not marked");
        }
        Assert.False(File.Exists("/tmp/pwned"));
    }
}
