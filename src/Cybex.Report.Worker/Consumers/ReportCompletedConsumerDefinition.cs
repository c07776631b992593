using System.Net.Sockets;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Consumers;

public sealed class ReportCompletedConsumerDefinition : ConsumerDefinition<ReportCompletedConsumer>
{
    /// <summary>The queue name, after <c>Bus:EndpointPrefix</c>.</summary>
    public const string Queue = "report-reply";

    public ReportCompletedConsumerDefinition(IOptions<WorkerOptions> worker, IOptions<BusOptions> bus)
    {
        EndpointName = bus.Value.EndpointPrefix + Queue;
        ConcurrentMessageLimit = worker.Value.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReportCompletedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // D11: an API that is briefly down gets the reply later, with backoff; then the _error queue.
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Intervals(250, 500, 1000, 2000, 4000, 8000, 10000, 10000);
            r.Handle<SocketException>();
            r.Handle<TimeoutException>();
            r.Handle<IOException>();
            r.Handle<MongoDB.Driver.MongoException>();
        });
    }
}
