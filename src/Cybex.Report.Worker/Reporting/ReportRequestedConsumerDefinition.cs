using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Reporting;

public sealed class ReportRequestedConsumerDefinition : ConsumerDefinition<ReportRequestedConsumer>
{
    /// <summary>The queue name, after <c>Bus:EndpointPrefix</c>.</summary>
    public const string Queue = "report-requested";

    private readonly WorkerOptions _worker;
    private readonly BusOptions _bus;

    public ReportRequestedConsumerDefinition(IOptions<WorkerOptions> worker, IOptions<BusOptions> bus)
    {
        _worker = worker.Value;
        _bus = bus.Value;
        EndpointName = _bus.EndpointPrefix + Queue;
        ConcurrentMessageLimit = _worker.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReportRequestedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _worker.PrefetchCount;
        // Only transient faults get here: the consumer ends what can never succeed (malformed, too large, unreadable) itself.
        endpointConfigurator.UseMessageRetry(r => r.Intervals(_bus.RetryIntervalsMilliseconds));
    }
}
