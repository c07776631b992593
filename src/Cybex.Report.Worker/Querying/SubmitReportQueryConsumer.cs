using System.Diagnostics;
using System.Text;
using Cybex.Report.Contracts;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Hosting;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Quotas;
using Cybex.Report.Worker.Reporting;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Worker.Querying;

/// <summary>
/// Answers a report query sent on the bus. The query is stored as the API stores it (a TDQL in report_db with the
/// API's hash rule, so the same query from the same user in one UTC hour is one TDQL), claimed at once with a lease
/// (no poll), and answered by the same report pipeline and guarantees; the response goes back on the bus. Nothing
/// malformed escapes as an exception: it is answered with <see cref="ReportRejected"/>. The requester is the user
/// the query's token names (verified as the API verifies it), or, from a trusted service only, the user it names.
/// </summary>
public sealed class SubmitReportQueryConsumer(
    TdqlStore store, ClaimProtocol claims, QueryAnswerer answerer, IIdentityReader identity, OrgQuotas quotas, UserTokens tokens, QueryKey key, IClock clock,
    WorkerMetrics metrics, Reporting.UserSlots slots, ReplyTargets replies, IOptions<QueryOptions> queryOptions, IOptions<WorkerOptions> workerOptions, ILogger<SubmitReportQueryConsumer> logger)
    : IConsumer<SubmitReportQuery>
{
    private readonly QueryOptions _options = queryOptions.Value;
    private readonly Duration _lease = Duration.FromSeconds(workerOptions.Value.LeaseSeconds);
    private readonly int _maxInFlight = workerOptions.Value.MaxInFlightPerUser;

    public async Task Consume(ConsumeContext<SubmitReportQuery> context)
    {
        var q = context.Message;
        var ct = context.CancellationToken;
        using var commands = CommandCounter.Begin("query");
        if (Refusal(q) is { } refusal)
        {
            await RejectAsync(context, refusal);
            return;
        }
        var (user, unauthenticated) = await RequesterAsync(context);
        if (user is null)
        {
            await RejectAsync(context, unauthenticated!, outcome: "unauthenticated");
            return;
        }
        byte[] plain;
        try
        {
            plain = q.Encrypted ? key.Cipher!.Decrypt(q.QData) : q.QData;
        }
        catch (QueryDecodeException e)
        {
            await RejectAsync(context, QueryRejectedException.TextOf("QueryDecodeError", e.Message));
            return;
        }
        if (await identity.FindUserAsync(user, ct) is null)
        {
            await RejectAsync(context, "User does not exist in identity db!");
            return;
        }
        // What the API stores: the qhash of the canonical text, the blob as a Python bytes literal, the hour's TDQL.
        var qhash = Canonical.Sha256Hex(plain);
        var literal = PyBytesLiteral.Format(q.QData);
        var now = TahoeTime.ToEpochSeconds(clock.GetCurrentInstant());
        var hash = TahoeHash.Tdql(q.QType, qhash, user, now);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["Tdql"] = hash });

        // The query as it would be written new, so one read finds both an earlier TDQL of the hour and which of
        // the new one's children report_db has already.
        var (fresh, children) = TdqlDocuments.Build(q.QType, qhash, literal, user, now, q.Encrypted, Tdql.StatusProcessing, TdqlSocket.Bus);
        Tdql? existing;
        IReadOnlySet<string> present;
        try
        {
            var (found, stored) = await store.FindWithAsync(hash, children.Select(c => c["_hash"].AsString), ct);
            (existing, present) = (found?.Tdql, stored);
        }
        catch (MalformedTdqlException)
        {
            await RejectAsync(context, "the stored TDQL of this query is malformed; an operator must look at it", hash);
            return;
        }
        if (existing is { Socket.IsBus: false })
        {
            // The API's own TDQL of the hour: its socket waits for its nonce, so it is never rewritten. Its answer is
            // this query's answer; a redo of it is the API's to make.
            if (!existing.IsFinished) await RespondWhenFinishedAsync(context, hash);
            else if (q.Redo) await RejectAsync(context, "this hour's query was asked through the API: a redo of it must go through the API too", hash);
            else await RespondAsync(context, existing);
            return;
        }
        if (existing is { IsFinished: true } && !q.Redo)
        {
            // The API answers a repeated query of the hour from the stored report; a redelivered message lands here too.
            await RespondAsync(context, existing);
            return;
        }
        if (existing is { Status: Tdql.StatusProcessing } && !q.Redo)
        {
            await RespondWhenFinishedAsync(context, hash);
            return;
        }
        // The watcher's rule at the door: a user with as many queries in flight as they may have is asked to wait.
        // Checked before the claim, so queries of one user arriving together may pass it together.
        if ((await claims.InFlightAsync([user], ct)).GetValueOrDefault(user) is var inFlight && inFlight >= _maxInFlight)
        {
            await RejectAsync(context, $"{inFlight} of your queries are being answered, as many as one user may have at once; ask again when one is answered", hash, outcome: "throttled");
            return;
        }
        // The org's quota: a query over it has no TDQL to wait in, so the requester is told when to ask again.
        var org = FairShare.OrgOf(user, (await identity.FindUserAsync(user, ct))?.OrgHashes);
        if (await quotas.TakeOneAsync(org, ct) is { } freesAt)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling((freesAt - clock.GetCurrentInstant()).TotalSeconds));
            await RejectAsync(context, $"your organisation's quota of queries a minute is used up; ask again in {seconds} s", hash, outcome: "over_quota");
            return;
        }
        Claim? claim;
        StoredTdql claimed;
        if (existing is null)
        {
            // A new query (the usual case): written already processing, under a lease written first, in two round trips.
            claimed = StoredTdql.Parse(fresh);
            claim = await claims.ClaimNewAsync(fresh, children.Where(c => !present.Contains(c["_hash"].AsString)).DistinctBy(c => c["_hash"].AsString), _lease, ct);
        }
        else
        {
            // A redo, or a TDQL the API left waiting: stored as the API first stores a TDQL (invalid), then claimed from
            // there, so no watcher takes it in between.
            var (doc, redoChildren) = TdqlDocuments.Build(q.QType, qhash, literal, user, existing.Timestamp, q.Encrypted, Tdql.StatusInvalid, TdqlSocket.Bus);
            await store.InsertTdqlAsync(doc, redoChildren, ct);
            claim = (await claims.ClaimBatchAsync([doc], Tdql.StatusInvalid, _lease, 1, ct)).Won.SingleOrDefault();
            claimed = StoredTdql.Parse(TdqlDocuments.ReplaceChildren(doc, new Dictionary<string, BsonValue> { ["status"] = Tdql.StatusProcessing }).Tdql);
        }
        if (claim is not null) metrics.OrgClaimed(org, 1);
        if (claim is null)
        {
            // A copy of this message (or a redo by the API) got there first: its answer is this query's answer.
            await RespondWhenFinishedAsync(context, hash);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        AnsweredQuery result;
        using var answering = CommandCounter.Begin();
        await using (new LeaseKeeper(token => claims.RenewAsync(hash, claim.ClaimId, _lease, token), LeaseKeeper.Every(_lease), "lease", hash, logger))
        using (await slots.EnterAsync(user, ct))
        {
            result = await answerer.AnswerAsync(claimed, token => claims.CommitAsync(hash, claim.ClaimId, _lease, token), null, ct, plain);
        }
        // No socket to send a nonce to: the response is the answer, so the claim's lease goes here.
        await claims.ReplyDoneAsync(hash, claim.ClaimId, ct);
        if (result.Tdql is null || result.Report is null)
        {
            await RespondWhenFinishedAsync(context, hash);
            return;
        }
        metrics.ReportFinished(result.Tdql.QType, result.Status, Stopwatch.GetElapsedTime(started), answering.Commands, false);
        logger.LogInformation("Bus query answered: {QType} report {Report} is {Status}", result.Tdql.QType, result.Report["_hash"].AsString, result.Status);
        await RespondAsync(context, hash, result.Report, result.Status);
    }

    private string? Refusal(SubmitReportQuery q)
    {
        if (!ReportTypes.IsKnown(q.QType)) return $"Invalid query type = {TextLimits.Shorten(q.QType, 40)}!";
        if (q.QData is null || q.QData.Length == 0) return "qdata is empty";
        if (q.QData.Length > _options.MaxQdataBytes) return $"qdata is {q.QData.Length} bytes, more than the {_options.MaxQdataBytes} allowed (Queries:MaxQdataBytes)";
        if (!q.Encrypted && !_options.AllowPlain) return "plain qdata is not accepted on the bus: encrypt it with the report module's public key (or set Queries:AllowPlain for trusted publishers)";
        if (q.Encrypted && key.Cipher is null) return "this worker has no private key: encrypted queries cannot be answered";
        return null;
    }

    /// <summary>The user the query is for, or why the requester is not believed.</summary>
    private async Task<(string? User, string? Refusal)> RequesterAsync(ConsumeContext<SubmitReportQuery> context)
    {
        var q = context.Message;
        if (q.Token is { Length: > 0 } token)
        {
            var (user, refusal) = await tokens.VerifyAsync(token);
            if (user is null) return (null, refusal);
            return q.UserId is { Length: > 0 } named && named != user ? (null, "UserId names another user than the token's") : (user, null);
        }
        if (q.UserId is not { Length: > 0 } id) return (null, "the query carries no user token (Token)");
        if (Publisher.Of(context) is not { } publisher || !_options.TrustedPublishers.Contains(publisher, StringComparer.Ordinal))
        {
            return (null, "a UserId without the user's token is accepted only from a trusted service (Queries:TrustedPublishers): send the user's token");
        }
        return TdqlHashes.IsValid(id) ? (id, null) : (null, "UserId is not a user's _hash (64 lower-case hex characters)");
    }

    private async Task RespondWhenFinishedAsync(ConsumeContext<SubmitReportQuery> context, string hash)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed.TotalSeconds < _options.WaitForOtherClaimSeconds)
        {
            if ((await store.FindAsync(hash, context.CancellationToken))?.Tdql is { IsFinished: true } done)
            {
                await RespondAsync(context, done);
                return;
            }
            await Task.Delay(100, context.CancellationToken);
        }
        await RejectAsync(context, $"the query is still being answered after {_options.WaitForOtherClaimSeconds} s; ask again later", hash);
    }

    private async Task RespondAsync(ConsumeContext<SubmitReportQuery> context, Tdql done)
    {
        var report = await store.FindReportAsync(done.ReportId, context.CancellationToken);
        if (report is null)
        {
            await RejectAsync(context, "the stored report is missing", done.Hash, done.ReportId);
            return;
        }
        await RespondAsync(context, done.Hash, report, done.Status);
    }

    private async Task RespondAsync(ConsumeContext<SubmitReportQuery> context, string hash, BsonDocument report, string status)
    {
        var reportId = report["_hash"].AsString;
        if (status != Tdql.StatusReady)
        {
            var text = report.GetValue("data", "").ToString() ?? "";
            await RejectAsync(context, text.Length <= 1000 ? text : text[..1000] + "…", hash, reportId);
            return;
        }
        var json = report["data"].ToJson(new MongoDB.Bson.IO.JsonWriterSettings { OutputMode = MongoDB.Bson.IO.JsonOutputMode.RelaxedExtendedJson });
        var data = Encoding.UTF8.GetByteCount(json) <= _options.MaxResponseDataBytes ? json : null;
        metrics.BusQuery("ready");
        await ReplyAsync(context, new ReportReady(hash, reportId, status, report["current_page"].ToInt32(), report["next_page"].ToInt32(), data));
    }

    private async Task RejectAsync(ConsumeContext<SubmitReportQuery> context, string reason, string? hash = null, string? reportId = null, string outcome = "rejected")
    {
        metrics.BusQuery(outcome);
        // A failed report's text can quote the query's values: only refusals the worker words itself are logged.
        if (reportId is null) logger.LogInformation("Bus query rejected: {Reason}", reason);
        else logger.LogInformation("Bus query answered as failed (report {Report})", reportId);
        await ReplyAsync(context, new ReportRejected(reason, hash, reportId));
    }

    /// <summary>The response, to the requester's own reply endpoint only (<see cref="ReplyTargets"/>).</summary>
    private async Task ReplyAsync<T>(ConsumeContext<SubmitReportQuery> context, T response) where T : class
    {
        if (await replies.ResolveAsync(context.ResponseAddress, context.ReceiveContext.InputAddress, context.CancellationToken) is not { } address)
        {
            logger.LogWarning("Bus query answered nowhere: its response address is not a requester's reply endpoint");
            return;
        }
        var endpoint = await context.GetSendEndpoint(address);
        await endpoint.Send(response, send =>
        {
            send.RequestId = context.RequestId;
            send.ConversationId = context.ConversationId;
            send.InitiatorId = context.MessageId;
        }, context.CancellationToken);
    }
}
