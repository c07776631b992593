using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Worker.Reply;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Cybex.Report.Worker.Consumers;

/// <summary>
/// Tells the API that a report is ready by sending the TDQL's nonce to its socket. The socket is read from
/// the TDQL, so nonces never travel on the bus. Connection faults throw and are retried (D11).
/// </summary>
public sealed class ReportCompletedConsumer(ReportStore store, NonceSender sender, WorkerMetrics metrics, ILogger<ReportCompletedConsumer> logger)
    : IConsumer<ReportCompleted>
{
    public async Task Consume(ConsumeContext<ReportCompleted> context)
    {
        var message = context.Message;
        if (!TdqlHashes.IsValid(message.TdqlHash)) return;
        var doc = await store.FindTdqlAsync(message.TdqlHash, context.CancellationToken);
        if (doc is null)
        {
            logger.LogWarning("TDQL {Tdql} vanished before its reply", message.TdqlHash);
            return;
        }
        Tdql tdql;
        try
        {
            tdql = Tdql.Parse(doc);
        }
        catch (Tahoe.TahoeFormatException e)
        {
            logger.LogWarning("TDQL {Tdql} cannot be replied to: {Reason}", message.TdqlHash, e.Message);
            return;
        }
        // The API reads report_id as soon as the nonce arrives: only reply for the report the TDQL points at.
        if (!tdql.IsFinished || tdql.ReportId != message.ReportId)
        {
            logger.LogInformation("TDQL {Tdql} changed since its report (status {Status}); no reply for the old report", message.TdqlHash, tdql.Status);
            return;
        }
        try
        {
            await sender.SendAsync(tdql.Socket, context.CancellationToken);
            metrics.ReplySent(true);
            logger.LogInformation("Reply for TDQL {Tdql} sent to the API", message.TdqlHash);
        }
        catch (ReplyRefusedException e)
        {
            metrics.ReplySent(false);
            logger.LogWarning("Reply for TDQL {Tdql} refused: {Reason}; the report stays readable", message.TdqlHash, e.Message);
        }
    }
}
