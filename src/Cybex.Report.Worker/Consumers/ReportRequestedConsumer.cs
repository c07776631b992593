using Cybex.Report.Contracts;
using Cybex.Report.Storage.Reports;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Cybex.Report.Worker.Consumers;

/// <summary>Generates, stores and announces the report of one claimed TDQL.</summary>
public sealed class ReportRequestedConsumer(ReportProcessor processor, WorkerMetrics metrics, ILogger<ReportRequestedConsumer> logger)
    : IConsumer<ReportRequested>
{
    public async Task Consume(ConsumeContext<ReportRequested> context)
    {
        var message = context.Message;
        if (!Tahoe.Documents.TdqlHashes.IsValid(message.TdqlHash))
        {
            logger.LogWarning("Dropped a ReportRequested with a malformed TDQL hash");
            return;
        }
        var started = DateTimeOffset.UtcNow;
        var result = await processor.ProcessAsync(message.TdqlHash, context.CancellationToken);
        if (result is null)
        {
            logger.LogWarning("TDQL {Tdql} no longer exists; nothing to report", message.TdqlHash);
            return;
        }
        metrics.ReportFinished(result.Tdql.QType, result.Status, DateTimeOffset.UtcNow - started, result.DatabaseCommands, result.AlreadyFinished);
        logger.LogInformation("TDQL {Tdql} {Outcome}: {QType} report {Report} is {Status} ({Commands} database commands)",
            message.TdqlHash, result.AlreadyFinished ? "re-announced" : "answered", result.Tdql.QType, result.Report["_hash"].AsString, result.Status, result.DatabaseCommands);
        await context.Publish(
            new ReportCompleted(message.TdqlHash, result.Report["_hash"].AsString, result.Status, DateTimeOffset.UtcNow),
            publish => publish.MessageId = MessageIds.For("completed", message.TdqlHash, message.ClaimId));
    }
}
