using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Cybex.Report.Worker.Health;

/// <summary>How many consumers the broker counts on a queue; null when the broker cannot be asked.</summary>
public interface IQueueConsumerProbe
{
    Task<uint?> ConsumersAsync(string queue, CancellationToken ct);
}

/// <summary>Asks RabbitMQ with a passive queue declare over a short-lived connection of its own.</summary>
public sealed class RabbitQueueConsumerProbe(IOptions<BusOptions> options) : IQueueConsumerProbe
{
    public async Task<uint?> ConsumersAsync(string queue, CancellationToken ct)
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
            var declared = await channel.QueueDeclarePassiveAsync(queue, ct);
            return declared.ConsumerCount;
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // Broker down or the queue not declared yet: MassTransit's own reconnect is still in charge.
            return null;
        }
    }
}
