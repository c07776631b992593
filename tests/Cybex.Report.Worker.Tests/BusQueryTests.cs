using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using System.Text;
using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>Report queries as messages over the real broker: request/response, no TDQL poll on the path.</summary>
public class BusQueryTests : IAsyncLifetime
{
    private readonly TestEnvironment _env = new();
    private IServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await _env.LoadFixtureAsync();
        // No watcher at all: an answer proves the bus path needs no poll.
        var host = await _env.StartWorkerAsync(s => s["Worker:Watcher"] = "false");
        _services = host.Services;
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private byte[] Encrypt(string text) => QueryCipher.FromPem(File.ReadAllText(_env.PrivateKeyFile)).Encrypt(Encoding.UTF8.GetBytes(text));

    private async Task<Response<ReportReady, ReportRejected>> AskAsync(SubmitReportQuery query)
    {
        using var scope = _services.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<IRequestClient<SubmitReportQuery>>();
        return await client.GetResponse<ReportReady, ReportRejected>(query, timeout: RequestTimeout.After(s: 30));
    }

    private const string Count = """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""";

    [Theory]
    [InlineData("count", Count)]
    [InlineData("related", """{"data": "\"203.0.113.45\"", "level": "2", "sub_type": "\"ipv4\""}""")]
    [InlineData("threatrank", """{"_hash": "\"6ee89b22ca5d165e12cd4ee680a3c2255c306994be4c67be0ecde550cf5899ac\""}""")]
    public async Task A_query_on_the_bus_is_answered_with_its_report_and_stored_as_the_api_would(string qtype, string text)
    {
        var response = await AskAsync(new SubmitReportQuery(qtype, Encrypt(text), true, _env.UserId("alice")));

        Assert.True(response.Is(out Response<ReportReady>? ready), response.Message is ReportRejected r ? r.Reason : "");
        var answer = ready!.Message;
        Assert.Equal(Tdql.StatusReady, answer.Status);
        Assert.NotNull(answer.DataJson);
        var store = new TdqlStore(_env.Mongo);
        var tdql = (await store.FindAsync(answer.TdqlHash, CancellationToken.None))!.Tdql;
        // The API's hash rule and shape: the API, status and requeue see this query as one of their own.
        Assert.Equal(TahoeHash.Tdql(qtype, Canonical.Sha256Hex(Encoding.UTF8.GetBytes(text)), _env.UserId("alice"), tdql.Timestamp), tdql.Hash);
        Assert.Equal(answer.ReportId, tdql.ReportId);
        var report = (await store.FindReportAsync(answer.ReportId, CancellationToken.None))!;
        Assert.Equal(BsonDocument.Parse($"{{\"d\": {answer.DataJson}}}")["d"], report["data"]);
        Assert.Equal(0, await _env.Mongo.Leases.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task The_same_query_delivered_twice_is_one_tdql_and_one_report()
    {
        var query = new SubmitReportQuery("count", Encrypt(Count), true, _env.UserId("bob"));
        var first = await AskAsync(query);
        // Spoil the archive: a recomputation would now give another count.
        await _env.Mongo.Archive.DeleteManyAsync(new BsonDocument("itype", "event"));
        var second = await AskAsync(query with { QData = Encrypt(Count) });

        Assert.True(first.Is(out Response<ReportReady>? a));
        Assert.True(second.Is(out Response<ReportReady>? b));
        Assert.Equal(a!.Message.TdqlHash, b!.Message.TdqlHash);
        Assert.Equal(a.Message.ReportId, b.Message.ReportId);
        Assert.Equal(1, await _env.Mongo.ReportDb.CountDocumentsAsync(Builders<BsonDocument>.Filter.Eq("itype", "report")));
        Assert.Equal(1, await _env.Mongo.ReportDb.CountDocumentsAsync(TdqlFilters.Of(a.Message.TdqlHash)));
    }

    public static TheoryData<string, string> Rejections() => new()
    {
        { "bad type", "Invalid query type" },
        { "unknown user", "User does not exist" },
        { "another key", "QueryDecodeError" },
        { "oversized", "more than the" },
        { "plain", "plain qdata is not accepted" },
        { "invalid qdata", "is not one of" },
        { "not a user hash", "UserId is not a user's _hash" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task A_query_that_cannot_be_answered_gets_a_rejection_with_its_reason(string kind, string expected)
    {
        var alice = _env.UserId("alice");
        var query = kind switch
        {
            "bad type" => new SubmitReportQuery("bogus", Encrypt(Count), true, alice),
            "unknown user" => new SubmitReportQuery("count", Encrypt(Count), true, new string('9', 64)),
            "another key" => new SubmitReportQuery("count", QueryCipher.FromPem(KeyPairs.Generate().PublicPem).Encrypt(Encoding.UTF8.GetBytes(Count)), true, alice),
            "oversized" => new SubmitReportQuery("count", new byte[2 * 1024 * 1024], true, alice),
            "plain" => new SubmitReportQuery("count", Encoding.UTF8.GetBytes(Count), false, alice),
            "invalid qdata" => new SubmitReportQuery("count", Encrypt("""{"sub_type": "\"md5\""}"""), true, alice),
            _ => new SubmitReportQuery("count", Encrypt(Count), true, "alice"),
        };

        var response = await AskAsync(query);

        Assert.True(response.Is(out Response<ReportRejected>? rejected), $"{kind}: answered as ready");
        Assert.Contains(expected, rejected!.Message.Reason);
    }
}
