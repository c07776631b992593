using System.Diagnostics;
using Cybex.Report.Contracts;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Cybex.Report.Worker.Reporting;

/// <summary>
/// Generates, stores and announces the report of one claimed TDQL. The message's claim is authoritative: only
/// while it is the TDQL's live lease is anything computed or written, so a duplicate, a stale copy from an expired
/// lease or a message no watcher claimed changes nothing.
/// </summary>
public sealed class ReportRequestedConsumer(
    QueryAnswerer answerer, ClaimStore claims, IClock clock, WorkerMetrics metrics, IOptions<WorkerOptions> options, ILogger<ReportRequestedConsumer> logger)
    : IConsumer<ReportRequested>
{
    private readonly Duration _lease = Duration.FromSeconds(options.Value.LeaseSeconds);

    public async Task Consume(ConsumeContext<ReportRequested> context)
    {
        var message = context.Message;
        var ct = context.CancellationToken;
        if (!TdqlHashes.IsValid(message.TdqlHash))
        {
            Drop("malformed TDQL hash", "Dropped a ReportRequested with a malformed TDQL hash");
            return;
        }
        var held = await claims.HoldAsync(message.TdqlHash, message.ClaimId, _lease, ct);
        if (held is null)
        {
            Drop("stale claim", "Dropped a ReportRequested for TDQL {Tdql}: its claim is not the TDQL's live lease (duplicate, stale or unclaimed)", message.TdqlHash);
            return;
        }
        // The lease's own count is the truth: a message cannot talk its way past the limit.
        var giveUp = held.Attempt > options.Value.MaxAttempts
            ? $"Failed to generate report after {held.Attempt - 1} attempts! -- {held.LastError ?? "the worker stopped or timed out"}"
            : null;
        var started = Stopwatch.GetTimestamp();
        // The lease is kept alive until the completion is published too: a publish held through a broker outage
        // must find its claim still there when the request is redelivered.
        await using var keeper = new LeaseKeeper(claims, message.TdqlHash, message.ClaimId, _lease, logger);
        AnsweredQuery result;
        using var commands = CommandCounter.Begin();
        try
        {
            result = await answerer.AnswerAsync(message.TdqlHash, token => claims.MarkAnsweredAsync(message.TdqlHash, message.ClaimId, _lease, token), giveUp, ct);
        }
        catch (MalformedTdqlException e)
        {
            logger.LogWarning("TDQL {Tdql} turned out malformed ({Reason}); its claim is released", message.TdqlHash, e.Reason);
            metrics.Dropped("malformed TDQL");
            await claims.ReleaseAsync(message.TdqlHash, message.ClaimId, ct);
            return;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Kept on the lease: the attempt that gives up says why.
            await TryRecordAsync($"{e.GetType().Name}: {TextLimits.Shorten(e.Message, 300)}");
            throw;
        }
        switch (result.Result)
        {
            case AnswerResult.Missing:
                Drop("tdql missing", "TDQL {Tdql} no longer exists; nothing to report", message.TdqlHash);
                await claims.ReleaseAsync(message.TdqlHash, message.ClaimId, ct);
                return;
            case AnswerResult.NotProcessing:
                Drop("not processing", "TDQL {Tdql} is {Status}, not processing (an API redo); this request is stale", message.TdqlHash, result.Status);
                return;
            case AnswerResult.ClaimLost:
                Drop("claim lost", "TDQL {Tdql} was taken over by another claim before its report was stored; nothing written", message.TdqlHash);
                return;
        }
        if (result.PermanentError is { } error)
        {
            logger.LogError("TDQL {Tdql} failed for good: {Error}", message.TdqlHash, TextLimits.Shorten(error, 300));
        }
        var reannounced = result.Result == AnswerResult.Reannounced;
        var tdql = result.Tdql!;
        var reportId = result.Report!["_hash"].AsString;
        metrics.ReportFinished(tdql.QType, result.Status, Stopwatch.GetElapsedTime(started), commands.Commands, reannounced);
        logger.LogInformation("TDQL {Tdql} {Outcome}: {QType} report {Report} is {Status} ({Commands} database commands, attempt {Attempt})",
            message.TdqlHash, reannounced ? "re-announced" : giveUp is null ? "answered" : "given up", tdql.QType, reportId, result.Status, commands.Commands, held.Attempt);
        await context.Publish(
            new ReportCompleted(message.TdqlHash, reportId, result.Status, clock.GetCurrentInstant().ToDateTimeOffset(), message.ClaimId),
            publish => publish.MessageId = MessageIds.For("completed", message.TdqlHash, message.ClaimId));

        async Task TryRecordAsync(string text)
        {
            try
            {
                await claims.RecordErrorAsync(message.TdqlHash, message.ClaimId, text, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning("Could not record the error of TDQL {Tdql}: {Error}", message.TdqlHash, e.GetType().Name);
            }
        }
    }

    private void Drop(string reason, string log, params object?[] args)
    {
        metrics.Dropped(reason);
        logger.LogWarning(log, args);
    }
}
