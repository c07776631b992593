using System.Text;
using RabbitMQ.Client;

namespace Cybex.Report.Testing;

/// <summary>
/// A plain AMQP client, as a publisher that is not MassTransit (or not friendly) would be: raw bodies to an
/// exchange, replies read off a queue of its own. Connects with RABBITMQ_HOST/PORT and the given user.
/// </summary>
public sealed class RawAmqp : IAsyncDisposable
{
    private readonly IConnection _connection;

    private RawAmqp(IConnection connection, IChannel channel) => (_connection, Channel) = (connection, channel);

    public IChannel Channel { get; }

    public static async Task<RawAmqp> ConnectAsync(string? user = null, string? password = null, string vhost = "/")
    {
        var factory = new ConnectionFactory
        {
            HostName = TestEnvironment.RabbitHost,
            Port = int.TryParse(Environment.GetEnvironmentVariable("RABBITMQ_PORT"), out var port) ? port : 5672,
            UserName = user ?? Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest",
            Password = password ?? Environment.GetEnvironmentVariable("RABBITMQ_PASS") ?? "guest",
            VirtualHost = vhost,
        };
        var connection = await factory.CreateConnectionAsync();
        return new RawAmqp(connection, await connection.CreateChannelAsync());
    }

    /// <summary>
    /// A reply queue as a MassTransit client's temporary endpoint has one: the queue, and the fanout exchange of the
    /// same name bound to it, which is where a response to <see cref="ResponseAddress"/> is sent.
    /// </summary>
    public async Task DeclareReplyQueueAsync(string queue)
    {
        await Channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
        await Channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: false, autoDelete: true);
        await Channel.QueueBindAsync(queue, queue, "");
    }

    /// <summary>The address a MassTransit client would give for a temporary reply queue of this name.</summary>
    public static string ResponseAddress(string queue) =>
        $"rabbitmq://{TestEnvironment.RabbitHost}:{Environment.GetEnvironmentVariable("RABBITMQ_PORT") ?? "5672"}/{queue}?temporary=true";

    /// <summary>A MassTransit JSON envelope around <paramref name="messageJson"/> (any JSON text, well-formed or not).</summary>
    public static string Envelope(string messageType, string messageJson, string? responseAddress, Guid requestId) =>
        $$"""{"messageId":"{{Guid.NewGuid()}}","requestId":"{{requestId}}",{{(responseAddress is null ? "" : $"\"responseAddress\":\"{responseAddress}\",")}}"messageType":["urn:message:{{messageType}}"],"message":{{messageJson}}}""";

    public async Task PublishAsync(string exchange, string body, string? userId = null)
    {
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", UserId = userId };
        await Channel.BasicPublishAsync(exchange, "", false, properties, Encoding.UTF8.GetBytes(body));
    }

    /// <summary>The next message on <paramref name="queue"/> within <paramref name="timeout"/>, or null.</summary>
    public async Task<string?> NextAsync(string queue, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await Channel.BasicGetAsync(queue, autoAck: true) is { } got) return Encoding.UTF8.GetString(got.Body.Span);
            await Task.Delay(50);
        }
        return null;
    }

    /// <summary>Messages waiting on a queue; null when there is no such queue.</summary>
    public async Task<uint?> MessageCountAsync(string queue)
    {
        // A passive declare of a missing queue closes its channel: ask on a throwaway one.
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return null;
        }
    }

    /// <summary>Whether an exchange exists.</summary>
    public async Task<bool> ExchangeExistsAsync(string exchange)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            await channel.ExchangeDeclarePassiveAsync(exchange);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
