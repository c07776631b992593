using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Tahoe;
using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>How a claimed request ended, for the consumer's log, metrics and completion.</summary>
public enum RequestEnd
{
    /// <summary>The TDQL is finished under this claim: its completion is to be published.</summary>
    Completed,

    /// <summary>Nothing is owed under this claim (another claim has it, the TDQL was redone or changed): nothing written.</summary>
    Dropped,

    /// <summary>The claim ended without a reply (the TDQL is gone or malformed): its lease is released.</summary>
    Released,
}

/// <summary>The end of one request, with the answer when there is one.</summary>
public sealed record RequestOutcome(RequestEnd End, string Reason, AnsweredQuery? Answer = null);

/// <summary>
/// The report consumer's side of the claim protocol: a request is worked on only while its claim holds the TDQL's
/// lease, writes only after the commit check, and ends with exactly one of: a completion to publish, a drop that
/// writes nothing, or a release. Transient faults escape (for the bus to retry), recorded on the lease first.
/// </summary>
public sealed class ReportRequestFlow(QueryAnswerer answerer, ClaimProtocol claims, Duration lease, int maxAttempts)
{
    /// <summary>Begins work under the claim: null when it is not the TDQL's live lease (duplicate, stale or unclaimed).</summary>
    public Task<HeldLease?> BeginAsync(string tdql, Guid claim, CancellationToken ct) => claims.HoldAsync(tdql, claim, lease, ct);

    /// <param name="carried">The TDQL the request carries, already checked; null to read the stored one. Used only
    /// while processing, as every claim leaves it: a finished copy would be re-announced without a write, so no
    /// compare-and-set would ever check it against the store.</param>
    public async Task<RequestOutcome> AnswerAsync(string tdql, Guid claim, HeldLease held, StoredTdql? carried, CancellationToken ct)
    {
        // The lease's own count is the truth: a message cannot talk its way past the limit.
        var giveUp = ClaimProtocol.GiveUpText(held, maxAttempts);
        Task<bool> Commit(CancellationToken token) => claims.CommitAsync(tdql, claim, lease, token);
        AnsweredQuery result;
        try
        {
            // A redelivery after the store reads what was stored instead of answering from the copy it carries.
            result = !held.Answered && carried is { Tdql.Status: Tdql.StatusProcessing }
                ? await answerer.AnswerAsync(carried, Commit, giveUp, ct)
                : await answerer.AnswerAsync(tdql, Commit, giveUp, ct);
        }
        catch (MalformedTdqlException e)
        {
            await claims.ReleaseAsync(tdql, claim, ct);
            return new RequestOutcome(RequestEnd.Released, $"malformed TDQL: {e.Reason}");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await RecordAsync($"{e.GetType().Name}: {TextLimits.Shorten(e.Message, 300)}");
            throw;
        }
        switch (result.Result)
        {
            case AnswerResult.Missing:
                await claims.ReleaseAsync(tdql, claim, ct);
                return new RequestOutcome(RequestEnd.Released, "tdql missing", result);
            case AnswerResult.NotProcessing:
                return new RequestOutcome(RequestEnd.Dropped, "not processing", result);
            case AnswerResult.ClaimLost:
                return new RequestOutcome(RequestEnd.Dropped, "claim lost", result);
            case AnswerResult.Superseded:
                return new RequestOutcome(RequestEnd.Dropped, "superseded", result);
        }
        if (result.Result == AnswerResult.Reannounced)
        {
            // Finished by another claim (or this one's earlier delivery) with the nonce unsent, as this lease says: the
            // reply is this claim's to send, once its commit mark makes it takeable.
            if (!await Commit(ct)) return new RequestOutcome(RequestEnd.Dropped, "claim lost", result);
            return new RequestOutcome(RequestEnd.Completed, "re-announced", result);
        }
        return new RequestOutcome(RequestEnd.Completed, giveUp is null ? "answered" : "given up", result);

        async Task RecordAsync(string text)
        {
            try
            {
                await claims.RecordErrorAsync(tdql, claim, text, CancellationToken.None);
            }
            catch (Exception)
            {
                // The attempt that gives up then says less; the fault itself is what the caller reports.
            }
        }
    }
}
