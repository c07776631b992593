using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cybex.Report.Worker.Health;

/// <summary>
/// Whether bus queries can reach this worker: its queue has an endpoint (the consumers check), and the exchange
/// publishers send to exists. Unready while it is gone; the watchdog restarts the bus, which declares it again.
/// </summary>
public sealed class DoorHealthCheck(IQueueConsumerProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await probe.ExchangeExistsAsync(Querying.SubmitReportQueryConsumerDefinition.Exchange, cancellationToken) switch
        {
            false => HealthCheckResult.Unhealthy($"the query exchange {Querying.SubmitReportQueryConsumerDefinition.Exchange} is gone: no query reaches this worker"),
            true => HealthCheckResult.Healthy("the query exchange exists"),
            null => HealthCheckResult.Degraded("the broker cannot say whether the query exchange exists"),
        };
}
