using System.Diagnostics;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Health;

/// <summary>
/// Restarts the bus when a queue this process consumes has had no consumer at all for a while although the broker
/// answers. MassTransit 8.5 sometimes misses the channel shutdown of a receive endpoint that is busy when the
/// broker goes away: that endpoint never reconnects and its messages sit in the queue (seen in the broker fault
/// test: the reply endpoint stayed silent for minutes after RabbitMQ came back). With other replicas consuming the
/// same queue the count is not zero and this process's own silent endpoint goes unnoticed; they serve meanwhile.
/// The query door counts too: its exchange deleted or unbound (by an operator, or a publisher with too wide a
/// permission), no query reaches the queue, and only a restart declares the exchange and its binding again.
/// </summary>
public sealed class ConsumerWatchdog(
    IBusControl bus, IQueueConsumerProbe probe, WorkerMetrics metrics, IOptions<BusOptions> busOptions, IOptions<WorkerOptions> workerOptions,
    ILogger<ConsumerWatchdog> logger) : BackgroundService
{
    public IReadOnlyList<string> Queues { get; } = QueuesOf(busOptions.Value, workerOptions.Value);

    public int Restarts { get; private set; }

    public static IReadOnlyList<string> QueuesOf(BusOptions bus, WorkerOptions roles)
    {
        var queues = new List<string>();
        if (roles.ReportConsumer) queues.Add(bus.EndpointPrefix + Reporting.ReportRequestedConsumerDefinition.Queue);
        if (roles.ReplyConsumer) queues.Add(bus.EndpointPrefix + Replying.ReplyConsumerDefinition.Queue);
        if (roles.QueryConsumer) queues.Add(bus.EndpointPrefix + Querying.SubmitReportQueryConsumerDefinition.Queue);
        return queues;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = busOptions.Value;
        var every = TimeSpan.FromSeconds(o.WatchdogIntervalSeconds);
        var patience = TimeSpan.FromSeconds(o.WatchdogRestartAfterSeconds);
        var silentSince = new Dictionary<string, long>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            foreach (var queue in Queues)
            {
                uint? consumers;
                try
                {
                    consumers = await probe.ConsumersAsync(queue, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A failing watchdog must not take the host down with it (a faulted BackgroundService stops it).
                    logger.LogWarning("Consumer watchdog could not ask the broker about {Queue}: {Error}", queue, e.Message);
                    consumers = null;
                }
                if (consumers is null or > 0)
                {
                    silentSince.Remove(queue);
                    continue;
                }
                silentSince.TryAdd(queue, Stopwatch.GetTimestamp());
            }
            if (workerOptions.Value.QueryConsumer)
            {
                const string door = Querying.SubmitReportQueryConsumerDefinition.Exchange;
                if (await DoorRoutesAsync(stoppingToken) == false) silentSince.TryAdd(door, Stopwatch.GetTimestamp());
                else silentSince.Remove(door);
            }
            var stuck = silentSince.Where(s => Stopwatch.GetElapsedTime(s.Value) >= patience).Select(s => s.Key).ToList();
            if (stuck.Count == 0) continue;
            logger.LogWarning("No consumer on {Queues} for {Seconds}s although the broker answers; restarting the bus", string.Join(", ", stuck), o.WatchdogRestartAfterSeconds);
            try
            {
                await StopBoundedAsync(stoppingToken);
                await bus.StartAsync(stoppingToken);
                Restarts++;
                metrics.BusRestarted();
                logger.LogInformation("Bus restarted");
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Bus restart failed; trying again in {Seconds}s", o.WatchdogIntervalSeconds);
            }
            silentSince.Clear();
        }
    }

    private async Task<bool?> DoorRoutesAsync(CancellationToken ct)
    {
        try
        {
            return await probe.RoutesAsync(Querying.SubmitReportQueryConsumerDefinition.Exchange, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Consumer watchdog could not ask the broker about the query exchange: {Error}", e.Message);
            return null;
        }
    }

    /// <summary>A lost endpoint may never finish stopping: the stop is bounded as the host bounds its own shutdown.</summary>
    private async Task StopBoundedAsync(CancellationToken ct)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stopping.CancelAfter(TimeSpan.FromSeconds(workerOptions.Value.ShutdownTimeoutSeconds));
        try
        {
            await bus.StopAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Bus stop did not finish within {Seconds}s; starting it again anyway", workerOptions.Value.ShutdownTimeoutSeconds);
        }
    }
}
