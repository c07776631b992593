using MassTransit;
using MassTransit.RabbitMqTransport;

namespace Cybex.Report.Worker.Querying;

/// <summary>
/// The broker user who published a message, as RabbitMQ vouches for it: the broker refuses a message whose
/// <c>user_id</c> property names anyone but the connection's own user, so a message that carries one was sent by
/// that user. Headers are the publisher's to write and prove nothing.
/// </summary>
public static class Publisher
{
    /// <summary>The validated broker user, or null (absent, or a transport that does not validate it).</summary>
    public static string? Of(ConsumeContext context) =>
        context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && rabbit.Properties.UserId is { Length: > 0 } user
            ? user
            : null;

    /// <summary>Sets <c>user_id</c> on an outgoing message, which RabbitMQ accepts only from that user's connection.</summary>
    public static void Sign(SendContext context, string brokerUser)
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit)) rabbit.BasicProperties.UserId = brokerUser;
    }
}
