using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cybex.Report.Worker.Health;

/// <summary>
/// Whether bus queries can reach this worker: its queue has an endpoint (the consumers check), and the exchange
/// publishers send to exists and is bound to a queue. Unready while either is gone; the watchdog restarts the bus,
/// which declares both again.
/// </summary>
public sealed class DoorHealthCheck(IQueueConsumerProbe probe) : IHealthCheck
{
    private const string Door = Querying.SubmitReportQueryConsumerDefinition.Exchange;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await probe.RoutesAsync(Door, cancellationToken) switch
        {
            true => HealthCheckResult.Healthy("the query exchange reaches a queue"),
            false => await probe.ExchangeExistsAsync(Door, cancellationToken) == true
                ? HealthCheckResult.Unhealthy($"the query exchange {Door} is bound to no queue: no query reaches this worker")
                : HealthCheckResult.Unhealthy($"the query exchange {Door} is gone: no query reaches this worker"),
            null => HealthCheckResult.Degraded("the broker cannot say whether the query exchange reaches a queue"),
        };
}
