using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Querying;

public sealed class SubmitReportQueryConsumerDefinition : ConsumerDefinition<SubmitReportQueryConsumer>
{
    /// <summary>The queue name, after <c>Bus:EndpointPrefix</c>.</summary>
    public const string Queue = "submit-report-query";

    /// <summary>The exchange publishers send queries to (MassTransit's name for the message type): the door.</summary>
    public const string Exchange = "Cybex.Report.Contracts:SubmitReportQuery";

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
        // What cannot be read as a query, or failed past the retries, is still answered; never parked in _error.
        var rejecter = new UnanswerableQueryFilter(context.GetRequiredService<WorkerMetrics>(), context.GetRequiredService<ReplyTargets>(),
            context.GetRequiredService<ILoggerFactory>().CreateLogger<SubmitReportQueryConsumer>());
        endpointConfigurator.ConfigureError(e => e.UseFilter(rejecter));
        endpointConfigurator.ConfigureDeadLetter(d => d.UseFilter(rejecter));
    }
}
