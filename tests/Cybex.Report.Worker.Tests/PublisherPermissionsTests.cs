using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// The permissions rabbitmq/users.sh gives a bus publisher, applied to the real broker: the publisher can ask and
/// read its answers, and can do nothing else to the worker's exchanges and queues.
/// </summary>
public class PublisherPermissionsTests : IAsyncLifetime
{
    private const string Door = "Cybex.Report.Contracts:SubmitReportQuery";
    private readonly TestEnvironment _env = new();
    private readonly string _user = $"pub{Guid.NewGuid():N}"[..12];
    private readonly string _password = Guid.NewGuid().ToString("N");

    public async Task InitializeAsync()
    {
        await _env.LoadFixtureAsync();
        await _env.StartWorkerAsync(s => s["Worker:Watcher"] = "false");
        var script = Path.Combine(RepositoryRoot.TryFind()!, "rabbitmq", "publisher-permissions.sh");
        using var sh = Process.Start(new ProcessStartInfo("sh", [script, _user]) { RedirectStandardOutput = true })!;
        var lines = (await sh.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await sh.WaitForExitAsync();
        Assert.Equal(3, lines.Length);
        using var api = BrokerQueues.Management();
        (await api.PutAsJsonAsync($"api/users/{_user}", new { password = _password, tags = "" })).EnsureSuccessStatusCode();
        (await api.PutAsJsonAsync($"api/permissions/%2F/{_user}", new { configure = lines[0], write = lines[1], read = lines[2] })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        using var api = BrokerQueues.Management();
        await api.DeleteAsync($"api/users/{_user}");
        await _env.DisposeAsync();
    }

    [Fact]
    public async Task A_publisher_asks_and_reads_its_answer_on_its_own_reply_queue()
    {
        await using var amqp = await RawAmqp.ConnectAsync(_user, _password);
        var replies = $"{_user}-replies";
        await amqp.DeclareReplyQueueAsync(replies);
        var qdata = QueryCipher.FromPem(File.ReadAllText(_env.PrivateKeyFile)).Encrypt("""{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}"""u8.ToArray());
        var query = new JsonObject { ["qType"] = "count", ["qData"] = Convert.ToBase64String(qdata), ["encrypted"] = true, ["token"] = _env.Token("alice") };

        await amqp.PublishAsync(Door, RawAmqp.Envelope(Door, query.ToJsonString(), RawAmqp.ResponseAddress(replies), Guid.NewGuid()));

        var reply = await amqp.NextAsync(replies, TimeSpan.FromSeconds(30));
        Assert.NotNull(reply);
        Assert.Contains("urn:message:Cybex.Report.Contracts:ReportReady", JsonNode.Parse(reply)!["messageType"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    public static TheoryData<string> Forbidden() =>
    [
        "delete the query exchange", "declare the query exchange", "bind its queue to the completions", "read the worker's reply queue",
        "declare a worker queue", "delete the worker's query queue", "publish a completion", "publish a request",
    ];

    [Theory]
    [MemberData(nameof(Forbidden))]
    public async Task A_publisher_cannot_read_bind_delete_or_configure_anything_of_the_workers(string attempt)
    {
        await using var amqp = await RawAmqp.ConnectAsync(_user, _password);
        var replies = $"{_user}-replies";
        await amqp.DeclareReplyQueueAsync(replies);
        var channel = amqp.Channel;
        var queue = _env.Prefix;

        Task act = attempt switch
        {
            "delete the query exchange" => channel.ExchangeDeleteAsync(Door),
            "declare the query exchange" => channel.ExchangeDeclareAsync(Door, ExchangeType.Fanout, durable: true),
            "bind its queue to the completions" => channel.QueueBindAsync(replies, "Cybex.Report.Contracts:ReportCompleted", ""),
            "read the worker's reply queue" => channel.BasicGetAsync(queue + "report-reply", autoAck: true),
            "declare a worker queue" => channel.QueueDeclareAsync(queue + "report-requested", durable: true, exclusive: false, autoDelete: false),
            "delete the worker's query queue" => channel.QueueDeleteAsync(queue + "submit-report-query"),
            // A refused publish closes the channel; the next command on it says why.
            "publish a completion" => PublishThenAskAsync(amqp, "Cybex.Report.Contracts:ReportCompleted"),
            _ => PublishThenAskAsync(amqp, "Cybex.Report.Contracts:ReportRequested"),
        };

        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() => act);
        Assert.True(refused.ShutdownReason?.ReplyCode == 403, $"{attempt}: {refused.Message}");
    }

    private static async Task PublishThenAskAsync(RawAmqp amqp, string exchange)
    {
        await amqp.PublishAsync(exchange, "{}");
        await Task.Delay(500);
        await amqp.Channel.QueueDeclarePassiveAsync($"{amqp.Channel.ChannelNumber}-nothing");
    }
}
