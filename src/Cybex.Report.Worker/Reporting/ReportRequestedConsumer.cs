using System.Diagnostics;
using Cybex.Report.Contracts;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using NodaTime;

namespace Cybex.Report.Worker.Reporting;

/// <summary>
/// Generates, stores and announces the report of one claimed TDQL. The message's claim is authoritative: only
/// while it is the TDQL's live lease is anything computed or written, so a duplicate, a stale copy from an expired
/// lease or a message no watcher claimed changes nothing.
/// </summary>
public sealed class ReportRequestedConsumer(
    ReportRequestFlow flow, ClaimProtocol claims, UserSlots slots, IClock clock, WorkerMetrics metrics, IOptions<WorkerOptions> options, ILogger<ReportRequestedConsumer> logger)
    : IConsumer<ReportRequested>
{
    private readonly Duration _lease = Duration.FromSeconds(options.Value.LeaseSeconds);

    public async Task Consume(ConsumeContext<ReportRequested> context)
    {
        var message = context.Message;
        var ct = context.CancellationToken;
        using var commands = CommandCounter.Begin("report");
        if (!TdqlHashes.IsValid(message.TdqlHash))
        {
            Drop("malformed TDQL hash", "Dropped a ReportRequested with a malformed TDQL hash");
            return;
        }
        // Every line about this query carries its TDQL hash (never its contents), for a JSON log's readers.
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Tdql"] = message.TdqlHash });
        var carried = Carried(message);
        // A re-claim carries no TDQL, so no user to wait for: rare enough to go straight through.
        using var slot = carried is null ? null : await slots.EnterAsync(carried.Tdql.UserId, ct);
        var held = await flow.BeginAsync(message.TdqlHash, message.ClaimId, ct);
        if (held is null)
        {
            Drop("stale claim", "Dropped a ReportRequested for TDQL {Tdql}: its claim is not the TDQL's live lease (duplicate, stale or unclaimed)", message.TdqlHash);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        // The lease is kept alive until the completion is published too: a publish held through a broker outage
        // must find its claim still there when the request is redelivered.
        await using var keeper = new LeaseKeeper(token => claims.RenewAsync(message.TdqlHash, message.ClaimId, _lease, token), LeaseKeeper.Every(_lease),
            "lease", message.TdqlHash, logger);
        var outcome = await flow.AnswerAsync(message.TdqlHash, message.ClaimId, held, carried, ct);
        slot?.Dispose();
        var result = outcome.Answer;
        switch (outcome.End)
        {
            case RequestEnd.Released:
                Drop(outcome.Reason.StartsWith("malformed") ? "malformed TDQL" : outcome.Reason, "TDQL {Tdql} ends without a report ({Reason}); its claim is released", message.TdqlHash, outcome.Reason);
                return;
            case RequestEnd.Dropped:
                Drop(outcome.Reason, "Request for TDQL {Tdql} ends without writing ({Reason}, status {Status})", message.TdqlHash, outcome.Reason, result?.Status);
                return;
        }
        if (result!.PermanentError is { } error)
        {
            logger.LogError("TDQL {Tdql} failed for good: {Error}", message.TdqlHash, TextLimits.Shorten(error, 300));
        }
        var reannounced = result.Result == AnswerResult.Reannounced;
        var tdql = result.Tdql!;
        var reportId = result.Report!["_hash"].AsString;
        metrics.ReportFinished(tdql.QType, result.Status, Stopwatch.GetElapsedTime(started), commands.Commands, reannounced);
        logger.LogInformation("TDQL {Tdql} {Outcome}: {QType} report {Report} is {Status} ({Commands} database commands, attempt {Attempt})",
            message.TdqlHash, outcome.Reason, tdql.QType, reportId, result.Status, commands.Commands, held.Attempt);
        await context.Publish(
            new ReportCompleted(message.TdqlHash, reportId, result.Status, clock.GetCurrentInstant().ToDateTimeOffset(), message.ClaimId,
                new ReplySocket(tdql.Socket.Host, tdql.Socket.Port, tdql.Socket.Nonce)),
            publish => publish.MessageId = MessageIds.For("completed", message.TdqlHash, message.ClaimId));
    }

    /// <summary>
    /// The TDQL the request carries, if it reads as one, is the request's TDQL and is consistent with itself;
    /// anything else (a message is hostile input) and the stored TDQL is read instead.
    /// </summary>
    private static StoredTdql? Carried(ReportRequested message)
    {
        if (message.Tdql is not { Length: > 0 } bson) return null;
        try
        {
            var stored = StoredTdql.Parse(BsonSerializer.Deserialize<BsonDocument>(bson));
            return stored.Hash == message.TdqlHash && stored.IsSelfConsistent() ? stored : null;
        }
        catch (Exception e) when (e is MalformedTdqlException or FormatException or BsonException or EndOfStreamException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private void Drop(string reason, string log, params object?[] args)
    {
        metrics.Dropped(reason);
        logger.LogWarning(log, args);
    }
}
