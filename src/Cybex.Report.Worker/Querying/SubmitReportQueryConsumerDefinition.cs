using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Querying;

public sealed class SubmitReportQueryConsumerDefinition : ConsumerDefinition<SubmitReportQueryConsumer>
{
    /// <summary>The queue name, after <c>Bus:EndpointPrefix</c>.</summary>
    public const string Queue = "submit-report-query";

    private readonly BusOptions _bus;

    public SubmitReportQueryConsumerDefinition(IOptions<WorkerOptions> worker, IOptions<BusOptions> bus)
    {
        _bus = bus.Value;
        EndpointName = _bus.EndpointPrefix + Queue;
        ConcurrentMessageLimit = worker.Value.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SubmitReportQueryConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Only database and broker faults get here (the consumer answers everything else): a retry finds the TDQL
        // already stored, or already answered, and never doubles it.
        endpointConfigurator.UseMessageRetry(r => r.Intervals(_bus.RetryIntervalsMilliseconds));
    }
}
