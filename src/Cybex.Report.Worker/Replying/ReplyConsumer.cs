using Cybex.Report.Contracts;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Worker.Health;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Worker.Reporting;
using Cybex.Report.Domain.Tahoe;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Cybex.Report.Worker.Replying;

/// <summary>
/// Tells the API that a report is ready by sending the TDQL's nonce to its socket, at most once per claim: the
/// reply is taken from the claim's lease before the connection is made, so a redelivered or duplicated completion
/// finds nothing to send. The socket is read from the TDQL, so nonces never travel on the bus. An API that has gone
/// (refused, reset, silent) is given up after <c>Api:ReplyAttempts</c> and recorded; the report stays readable.
/// </summary>
public sealed class ReplyConsumer(TdqlStore store, ReplyFlow flow, NonceSender sender, WorkerMetrics metrics, ILogger<ReplyConsumer> logger)
    : IConsumer<ReportCompleted>
{
    public async Task Consume(ConsumeContext<ReportCompleted> context)
    {
        var message = context.Message;
        var ct = context.CancellationToken;
        if (!TdqlHashes.IsValid(message.TdqlHash)) return;
        using var commands = CommandCounter.Begin("reply");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Tdql"] = message.TdqlHash });
        // The socket comes with the completion, which its consumer sent only once the TDQL took the report; the
        // claim's lease (taken below) says whether it is still owed. Only a completion without one reads the TDQL.
        var socket = message.Reply is { } r ? new TdqlSocket(r.Host, r.Port, r.Nonce) : await SocketOfAsync(message, ct);
        if (socket is null) return;
        // Taken first, for the socket the claim was made for: a completion naming another one (forged, or mangled on
        // the way) takes nothing, and whatever it names is never a reason to drop the claim's lease.
        // Not cancellable: a broker hiccup must not cut a take or a send half-way (the redelivery would find it taken).
        switch (await flow.TakeAsync(message.TdqlHash, message.ClaimId, socket, () => Task.Delay(Pause), CancellationToken.None))
        {
            case ReplyTake.OtherSocket:
                metrics.Reply("other_socket");
                logger.LogWarning("Completion for TDQL {Tdql} names another socket than its claim was made for; dropped, the claim's reply is still owed", message.TdqlHash);
                return;
            case ReplyTake.Gone:
                metrics.Reply("duplicate");
                logger.LogInformation("Reply for TDQL {Tdql} was already sent for this claim (or its claim is stale); not sent again", message.TdqlHash);
                return;
        }
        if (socket.IsBus)
        {
            // A bus query answered by the watcher's path (it claimed the TDQL first): its response went on the bus.
            await flow.FinishAsync(message.TdqlHash, message.ClaimId, null, CancellationToken.None);
            return;
        }
        (string Host, int Port) target;
        try
        {
            target = sender.Target(socket);
        }
        catch (ReplyRefusedException e)
        {
            // The TDQL's own socket (the lease says so) points where no reply may go: given up, and recorded.
            metrics.Reply("refused");
            logger.LogWarning("Reply for TDQL {Tdql} refused: {Reason}; the report stays readable", message.TdqlHash, e.Message);
            await flow.FinishAsync(message.TdqlHash, message.ClaimId,
                new UndeliveredReply(message.TdqlHash, NonceSender.Shorten(socket.Host), socket.Port, $"refused: {e.Message}"), CancellationToken.None);
            return;
        }
        // Taken means this delivery is the claim's only one: the sender's own timeouts bound it.
        ReplyDelivery delivery;
        await using (new LeaseKeeper(token => flow.KeepAsync(message.TdqlHash, message.ClaimId, token), LeaseKeeper.Every(flow.Hold), "reply", message.TdqlHash, logger))
        {
            delivery = await sender.SendAsync(socket, CancellationToken.None);
        }
        if (delivery.Delivered)
        {
            await flow.FinishAsync(message.TdqlHash, message.ClaimId, null, CancellationToken.None);
            metrics.Reply("sent");
            logger.LogInformation("Reply for TDQL {Tdql} sent to the API ({Attempts} connection(s))", message.TdqlHash, delivery.Attempts);
            return;
        }
        metrics.Reply("undelivered");
        logger.LogWarning("Reply for TDQL {Tdql} given up after {Attempts} connection(s): {Failure}; the API has gone, the report stays readable",
            message.TdqlHash, delivery.Attempts, delivery.Failure);
        await flow.FinishAsync(message.TdqlHash, message.ClaimId,
            new UndeliveredReply(message.TdqlHash, NonceSender.Shorten(target.Host), target.Port, delivery.Failure!), CancellationToken.None);
    }

    /// <summary>The socket of a TDQL still pointing at the completed report, or null (logged) when there is nothing to reply to.</summary>
    private async Task<TdqlSocket?> SocketOfAsync(ReportCompleted message, CancellationToken ct)
    {
        Tdql tdql;
        try
        {
            var stored = await store.FindAsync(message.TdqlHash, ct);
            if (stored is null)
            {
                logger.LogWarning("TDQL {Tdql} vanished before its reply", message.TdqlHash);
                return null;
            }
            tdql = stored.Tdql;
        }
        catch (MalformedTdqlException e)
        {
            logger.LogWarning("TDQL {Tdql} cannot be replied to: {Reason}", message.TdqlHash, e.Reason);
            return null;
        }
        // The API reads report_id as soon as the nonce arrives: only reply for the report the TDQL points at.
        if (!tdql.IsFinished || tdql.ReportId != message.ReportId)
        {
            logger.LogInformation("TDQL {Tdql} changed since its report (status {Status}); no reply for the old report", message.TdqlHash, tdql.Status);
            return null;
        }
        return tdql.Socket;
    }

    /// <summary>How often a delivery that finds the reply held by another looks again.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);
}
