using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Cybex.Report.Worker.Health;

/// <summary>What the broker holds of this worker's topology; null when the broker cannot be asked.</summary>
public interface IQueueConsumerProbe
{
    /// <summary>How many consumers the broker counts on a queue.</summary>
    Task<uint?> ConsumersAsync(string queue, CancellationToken ct);

    /// <summary>Whether an exchange exists.</summary>
    Task<bool?> ExchangeExistsAsync(string exchange, CancellationToken ct);
}

/// <summary>Asks RabbitMQ with a passive queue declare over a short-lived connection of its own.</summary>
public sealed class RabbitQueueConsumerProbe(IOptions<BusOptions> options) : IQueueConsumerProbe
{
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
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                return false;
            }
        }, ct);

    private async Task<T?> AskAsync<T>(Func<IChannel, Task<T>> ask, CancellationToken ct)
    {
        var o = options.Value;
        var factory = new ConnectionFactory
        {
            HostName = o.Host, Port = o.Port, VirtualHost = o.VirtualHost, UserName = o.Username, Password = o.Password,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
        };
        try
        {
            await using var connection = await factory.CreateConnectionAsync(o.Nodes().Select(n => new AmqpTcpEndpoint(n.Host, n.Port)).ToList(), "cybex-report-watchdog", ct);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            return await ask(channel);
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // Broker down or the queue not declared yet: MassTransit's own reconnect is still in charge.
            return default;
        }
    }
}
