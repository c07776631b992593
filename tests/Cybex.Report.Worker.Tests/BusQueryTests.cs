using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using System.Text;
using System.Text.Json.Nodes;
using Cybex.Report.Contracts;
using Cybex.Report.Worker.Querying;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Quotas;
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
        var host = await _env.StartWorkerAsync(s =>
        {
            s["Worker:Watcher"] = "false";
            s["Queries:TrustedPublishers:0"] = TrustedService;
        });
        _services = host.Services;
    }

    public async Task DisposeAsync() => await _env.DisposeAsync();

    private byte[] Encrypt(string text) => QueryCipher.FromPem(File.ReadAllText(_env.PrivateKeyFile)).Encrypt(Encoding.UTF8.GetBytes(text));

    /// <summary>The broker user the tests connect as: the worker trusts it to name users by id.</summary>
    private static readonly string TrustedService = Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest";

    /// <param name="asTrusted">Sent with the validated <c>user_id</c> of the trusted broker user; else without one.</param>
    private async Task<Response<ReportReady, ReportRejected>> AskAsync(SubmitReportQuery query, bool asTrusted = false)
    {
        using var scope = _services.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<IRequestClient<SubmitReportQuery>>();
        return await client.GetResponse<ReportReady, ReportRejected>(query,
            x => x.UseExecute(send => { if (asTrusted) Publisher.Sign(send, TrustedService); }), default, RequestTimeout.After(s: 30));
    }

    /// <summary>A query as a user's client sends it: encrypted, with the token the API gave the user.</summary>
    private SubmitReportQuery Query(string qtype, string text, string user) => new(qtype, Encrypt(text), true, Token: _env.Token(user));

    private const string Count = """{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}""";

    [Theory]
    [InlineData("count", Count)]
    [InlineData("related", """{"data": "\"203.0.113.45\"", "level": "2", "sub_type": "\"ipv4\""}""")]
    [InlineData("threatrank", """{"_hash": "\"6ee89b22ca5d165e12cd4ee680a3c2255c306994be4c67be0ecde550cf5899ac\""}""")]
    public async Task A_query_on_the_bus_is_answered_with_its_report_and_stored_as_the_api_would(string qtype, string text)
    {
        var response = await AskAsync(Query(qtype, text, "alice"));

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
        var query = Query("count", Count, "bob");
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
        { "trusted, not a user hash", "UserId is not a user's _hash" },
        { "bare user id", "accepted only from a trusted service" },
        { "no user at all", "carries no user token" },
        { "forged token", "signature does not verify" },
        { "unsigned token", "the token is refused" },
        { "expired token", "expired" },
        { "another user's id", "another user than the token's" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task A_query_that_cannot_be_answered_gets_a_rejection_with_its_reason(string kind, string expected)
    {
        var alice = Query("count", Count, "alice");
        var eve = _env.UserId("carol");
        var query = kind switch
        {
            "bad type" => alice with { QType = "bogus" },
            "unknown user" => alice with { Token = ApiTokens.Issue(_env.TokenSecret, new string('9', 64)) },
            "another key" => alice with { QData = QueryCipher.FromPem(KeyPairs.Generate().PublicPem).Encrypt(Encoding.UTF8.GetBytes(Count)) },
            "oversized" => alice with { QData = new byte[2 * 1024 * 1024] },
            "plain" => alice with { QData = Encoding.UTF8.GetBytes(Count), Encrypted = false },
            "invalid qdata" => Query("count", """{"sub_type": "\"md5\""}""", "alice"),
            "trusted, not a user hash" => alice with { Token = null, UserId = "alice" },
            "bare user id" or "no user at all" => alice with { Token = null, UserId = kind == "bare user id" ? eve : null },
            "forged token" => alice with { Token = ApiTokens.Issue(new string('x', 64), eve) },
            "unsigned token" => alice with { Token = ApiTokens.Unsigned(eve) },
            "expired token" => alice with { Token = ApiTokens.Issue(_env.TokenSecret, eve, expires: DateTime.UtcNow.AddMinutes(-5)) },
            _ => alice with { UserId = eve },
        };

        var response = await AskAsync(query, asTrusted: kind == "trusted, not a user hash");

        Assert.True(response.Is(out Response<ReportRejected>? rejected), $"{kind}: answered as ready");
        Assert.Contains(expected, rejected!.Message.Reason);
    }

    [Fact]
    public async Task A_query_of_an_org_over_its_quota_is_told_when_to_ask_again_and_another_org_is_answered()
    {
        await new QuotaStore(_env.Mongo).SetAsync(_env.Fixture.Root["orgs"]["org_b"]["_hash"].AsString, 2, CancellationToken.None);

        var answers = new List<Response<ReportReady, ReportRejected>>();
        for (var i = 0; i < 3; i++) answers.Add(await AskAsync(Query("count", TestEnvironment.CountText(i + 1), "carol")));
        var alice = await AskAsync(Query("count", Count, "alice"));

        Assert.All(answers.Take(2), a => Assert.IsType<ReportReady>(a.Message));
        Assert.True(answers[2].Is(out Response<ReportRejected>? over), "the query over the quota was answered");
        Assert.Matches("quota of queries a minute is used up; ask again in [0-9]+ s", over!.Message.Reason);
        Assert.IsType<ReportReady>(alice.Message);
    }

    [Fact]
    public async Task A_trusted_service_may_name_the_user_by_id_and_the_report_is_that_users()
    {
        var response = await AskAsync(new SubmitReportQuery("count", Encrypt(Count), true, _env.UserId("bob")), asTrusted: true);

        Assert.True(response.Is(out Response<ReportReady>? ready), response.Message is ReportRejected r ? r.Reason : "");
        var tdql = (await new TdqlStore(_env.Mongo).FindAsync(ready!.Message.TdqlHash, CancellationToken.None))!.Tdql;
        Assert.Equal(_env.UserId("bob"), tdql.UserId);
    }

    [Fact]
    public async Task A_bus_query_equal_to_a_waiting_api_query_leaves_the_api_tdql_alone_and_takes_its_report()
    {
        // The API's TDQL of the same user, query and hour, still waiting: no watcher runs yet.
        using var api = await _env.Submitter.SubmitTextAsync("count", Count, _env.UserId("alice"), CancellationToken.None);
        var store = new TdqlStore(_env.Mongo);
        var before = (await store.FindAsync(api.TdqlHash, CancellationToken.None))!.Tdql;

        var asked = AskAsync(Query("count", Count, "alice"));
        await Task.Delay(1000);
        Assert.Equal(before.Socket, (await store.FindAsync(api.TdqlHash, CancellationToken.None))!.Tdql.Socket);
        await _env.StartWorkerAsync();
        var response = await asked;

        Assert.True(await api.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None), "the API never got its nonce");
        Assert.True(response.Is(out Response<ReportReady>? ready), response.Message is ReportRejected r ? r.Reason : "");
        Assert.Equal(api.TdqlHash, ready!.Message.TdqlHash);
        var after = (await store.FindAsync(api.TdqlHash, CancellationToken.None))!.Tdql;
        Assert.Equal(before.Socket, after.Socket);
        Assert.Equal(after.ReportId, ready.Message.ReportId);
        await api.DrainAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(1, api.NoncesReceived);
    }

    public static TheoryData<string> Malformed() => ["qData not base64", "qData a number", "encrypted a string", "the message a string", "a 100 000-deep envelope"];

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_message_that_does_not_deserialize_is_rejected_with_a_reason_and_nothing_is_parked_in_error_or_skipped(string kind)
    {
        var good = new JsonObject { ["qType"] = "count", ["qData"] = Convert.ToBase64String(Encrypt(Count)), ["encrypted"] = true, ["token"] = _env.Token("alice") };
        var message = kind switch
        {
            "qData not base64" => Modified(good, "qData", "%%% not base64 %%%"),
            "qData a number" => Modified(good, "qData", 12345),
            "encrypted a string" => Modified(good, "encrypted", "yes"),
            "the message a string" => "\"count me\"",
            _ => new string('[', 100_000) + new string(']', 100_000),
        };
        await using var amqp = await RawAmqp.ConnectAsync();
        var replies = $"{_env.Prefix}raw-{Guid.NewGuid():N}";
        await amqp.DeclareReplyQueueAsync(replies);
        var requestId = Guid.NewGuid();

        await amqp.PublishAsync("Cybex.Report.Contracts:SubmitReportQuery",
            RawAmqp.Envelope("Cybex.Report.Contracts:SubmitReportQuery", message, RawAmqp.ResponseAddress(replies), requestId));

        var reply = await amqp.NextAsync(replies, TimeSpan.FromSeconds(30));
        Assert.True(reply is not null, $"{kind}: no response");
        var envelope = JsonNode.Parse(reply)!;
        Assert.Equal(requestId.ToString(), envelope["requestId"]!.GetValue<string>());
        Assert.Contains("urn:message:Cybex.Report.Contracts:ReportRejected", envelope["messageType"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("not a SubmitReportQuery", envelope["message"]!["reason"]!.GetValue<string>());
        foreach (var parked in new[] { "_error", "_skipped" })
        {
            Assert.True((await amqp.MessageCountAsync(_env.Prefix + SubmitReportQueryConsumerDefinition.Queue + parked) ?? 0) == 0, $"{kind}: parked in {parked}");
        }
    }

    private static string Modified(JsonObject query, string field, JsonNode value)
    {
        var copy = (JsonObject)query.DeepClone();
        copy[field] = value;
        return copy.ToJsonString();
    }

    [Fact]
    public async Task A_response_address_that_asks_for_a_queue_bound_to_it_gets_the_response_and_nothing_is_declared()
    {
        await using var amqp = await RawAmqp.ConnectAsync();
        var replies = $"{_env.Prefix}raw-{Guid.NewGuid():N}";
        var stolen = $"{_env.Prefix}stolen-{Guid.NewGuid():N}";
        await amqp.DeclareReplyQueueAsync(replies);
        var query = new JsonObject { ["qType"] = "count", ["qData"] = Convert.ToBase64String(Encrypt(Count)), ["encrypted"] = true, ["token"] = _env.Token("alice") };
        // MassTransit would declare the queue and bind it to the exchange the address names: every later response
        // (or, with the worker's own exchanges named, its traffic) would land in a queue the requester reads.
        var address = $"{RawAmqp.ResponseAddress(replies)}&bind=true&queue={stolen}";

        await amqp.PublishAsync("Cybex.Report.Contracts:SubmitReportQuery",
            RawAmqp.Envelope("Cybex.Report.Contracts:SubmitReportQuery", query.ToJsonString(), address, Guid.NewGuid()));

        var reply = await amqp.NextAsync(replies, TimeSpan.FromSeconds(30));
        Assert.NotNull(reply);
        Assert.Contains("urn:message:Cybex.Report.Contracts:ReportReady", JsonNode.Parse(reply)!["messageType"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Null(await amqp.MessageCountAsync(stolen));
    }

    [Fact]
    public async Task A_response_address_naming_no_existing_endpoint_is_not_answered_and_nothing_is_declared()
    {
        await using var amqp = await RawAmqp.ConnectAsync();
        var absent = $"{_env.Prefix}absent-{Guid.NewGuid():N}";
        var query = new JsonObject { ["qType"] = "count", ["qData"] = Convert.ToBase64String(Encrypt(Count)), ["encrypted"] = true, ["token"] = _env.Token("alice") };

        await amqp.PublishAsync("Cybex.Report.Contracts:SubmitReportQuery",
            RawAmqp.Envelope("Cybex.Report.Contracts:SubmitReportQuery", query.ToJsonString(), RawAmqp.ResponseAddress(absent), Guid.NewGuid()));

        // The response is attempted right after the report is stored: by then, and for a while after, no exchange.
        var ready = Builders<BsonDocument>.Filter.Eq("data.status", Tdql.StatusReady);
        for (var waited = 0; await _env.Mongo.ReportDb.CountDocumentsAsync(ready) == 0; waited += 100)
        {
            Assert.True(waited < 30_000, "the query was never answered");
            await Task.Delay(100);
        }
        for (var i = 0; i < 20; i++)
        {
            Assert.False(await amqp.ExchangeExistsAsync(absent), "the worker declared the exchange a response address named");
            await Task.Delay(100);
        }
    }

    [Theory]
    [InlineData("rabbitmq://elsewhere:5672/client-1?temporary=true", "rabbitmq://127.0.0.1:5672/client-1?temporary=true")]
    [InlineData("rabbitmq://127.0.0.1:5672/client-1?temporary=true&bind=true&queue=mine", "rabbitmq://127.0.0.1:5672/client-1?temporary=true")]
    [InlineData("rabbitmq://127.0.0.1:5672/client-1?durable=false&type=topic", "rabbitmq://127.0.0.1:5672/client-1")]
    [InlineData("rabbitmq://127.0.0.1:5672/Cybex.Report.Contracts:ReportCompleted", null)]
    [InlineData("rabbitmq://127.0.0.1:5672/p-report-reply", null)]
    [InlineData("rabbitmq://127.0.0.1:5672/p-submit-report-query_error", null)]
    [InlineData("rabbitmq://127.0.0.1:5672/amq.direct", null)]
    [InlineData("queue:client-1", null)]
    public void A_response_goes_only_to_a_requesters_endpoint_on_this_broker_without_parameters(string requested, string? expected)
    {
        var input = new Uri("rabbitmq://127.0.0.1:5672/p-submit-report-query");

        Assert.Equal(expected, ReplyAddress.Of(new Uri(requested), input, "p-")?.ToString());
    }
}
