using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Replying;

public sealed class ReplyConsumerDefinition : ConsumerDefinition<ReplyConsumer>
{
    /// <summary>The queue name, after <c>Bus:EndpointPrefix</c>.</summary>
    public const string Queue = "report-reply";

    public ReplyConsumerDefinition(IOptions<WorkerOptions> worker, IOptions<BusOptions> bus)
    {
        EndpointName = bus.Value.EndpointPrefix + Queue;
        ConcurrentMessageLimit = worker.Value.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReplyConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Only the database is retried here: the socket gets its own bounded tries in NonceSender (the API waits
        // 5 s, so minutes of retries would only hold slots that other replies need).
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Intervals(250, 500, 1000, 2000, 4000);
            r.Handle<MongoDB.Driver.MongoException>();
            r.Handle<TimeoutException>();
        });
    }
}
