using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Cybex.Report.Worker.Health;

/// <summary>What the broker holds of this worker's topology; null when the broker cannot be asked.</summary>
public interface IQueueConsumerProbe
{
    /// <summary>How many consumers the broker counts on a queue.</summary>
    Task<uint?> ConsumersAsync(string queue, CancellationToken ct);

    /// <summary>Whether an exchange exists.</summary>
    Task<bool?> ExchangeExistsAsync(string exchange, CancellationToken ct);

    /// <summary>Whether a message published to an exchange reaches any queue: false when nothing is bound to it.</summary>
    Task<bool?> RoutesAsync(string exchange, CancellationToken ct);
}

/// <summary>
/// Asks RabbitMQ with passive declares and a mandatory publish, each on a channel of its own (a refused passive
/// declare closes its channel) over one connection of the probe's own, opened again when it is lost.
/// </summary>
public sealed class RabbitQueueConsumerProbe(IOptions<BusOptions> options) : IQueueConsumerProbe, IAsyncDisposable
{
    /// <summary>Marks the probe's own message, which the query endpoint drops unanswered.</summary>
    public const string ProbeHeader = "cybex-door-probe";

    private static readonly byte[] ProbeBody = System.Text.Encoding.UTF8.GetBytes("""{"messageType":["urn:message:Cybex.Report.Worker:DoorProbe"],"message":{}}""");

    private readonly SemaphoreSlim _opening = new(1, 1);
    private IConnection? _connection;

    public Task<uint?> ConsumersAsync(string queue, CancellationToken ct) =>
        AskAsync<uint?>(async channel => (await channel.QueueDeclarePassiveAsync(queue, ct)).ConsumerCount, ct);

    public Task<bool?> ExchangeExistsAsync(string exchange, CancellationToken ct) =>
        AskAsync<bool?>(async channel =>
        {
            try
            {
                await channel.ExchangeDeclarePassiveAsync(exchange, ct);
                return true;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                return false;
            }
        }, ct);

    public Task<bool?> RoutesAsync(string exchange, CancellationToken ct) =>
        AskAsync<bool?>(async channel =>
        {
            // Expiring at once: a probe that found its queue is never left waiting there for a busy consumer. A
            // message type no consumer has, so the endpoint skips it without a fault, and its dead-letter pipe drops it.
            var properties = new BasicProperties
            {
                Expiration = "0", ContentType = "application/vnd.masstransit+json", Headers = new Dictionary<string, object?> { [ProbeHeader] = "1" },
            };
            try
            {
                await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, ProbeBody, ct);
                return true;
            }
            catch (PublishException e) when (e.IsReturn)
            {
                return false;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                return false;
            }
        }, ct, confirms: true);

    private async Task<T?> AskAsync<T>(Func<IChannel, Task<T>> ask, CancellationToken ct, bool confirms = false)
    {
        try
        {
            var connection = await ConnectionAsync(ct);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(confirms, confirms), ct);
            return await ask(channel);
        }
        catch (Exception e) when (e is RabbitMQClientException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // Broker down or the queue not declared yet: MassTransit's own reconnect is still in charge.
            return default;
        }
    }

    private async Task<IConnection> ConnectionAsync(CancellationToken ct)
    {
        await _opening.WaitAsync(ct);
        try
        {
            if (_connection is { IsOpen: true } open) return open;
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            var o = options.Value;
            var factory = new ConnectionFactory
            {
                HostName = o.Host, Port = o.Port, VirtualHost = o.VirtualHost, UserName = o.Username, Password = o.Password,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(3), AutomaticRecoveryEnabled = false,
            };
            return _connection = await factory.CreateConnectionAsync(o.Nodes().Select(n => new AmqpTcpEndpoint(n.Host, n.Port)).ToList(), "cybex-report-probe", ct);
        }
        finally
        {
            _opening.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
    }
}
