using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Domain.Answering;

/// <summary>
/// One TDQL from stored document to stored report: decode, validate, resolve the time range, check the user,
/// generate, store (domain §2.4 with the deviations of compatibility.md). A query that cannot be answered, or
/// whose answer can never be stored, ends as a failed report; only transient faults escape as exceptions, so
/// they can be retried.
/// </summary>
public sealed class QueryAnswerer
{
    private readonly ITdqlStore _store;
    private readonly IIdentityReader _identity;
    private readonly IClock _clock;
    private readonly QueryCipher? _cipher;
    private readonly ReportOptions _options;
    private readonly DtRange _dtRange;
    private readonly CountReport _count;
    private readonly RelatedReport _related;
    private readonly ThreatrankReport _threatrank;

    public QueryAnswerer(ITdqlStore store, IIdentityReader identity, IArchiveReader archive, IClock clock, QueryCipher? cipher, ReportOptions options)
    {
        (_store, _identity, _clock, _cipher, _options) = (store, identity, clock, cipher, options);
        _dtRange = new DtRange(clock);
        _count = new CountReport(archive, options);
        _related = new RelatedReport(archive);
        _threatrank = new ThreatrankReport(archive, clock, options);
    }

    /// <summary>For tools that hold no lease (conformance): the TDQL must still be processing.</summary>
    public Task<AnsweredQuery> AnswerAsync(string tdqlHash, CancellationToken ct) => AnswerAsync(tdqlHash, _ => Task.FromResult(true), null, ct);

    /// <param name="commit">Called once the report is built, before anything is written: false means the claim
    /// is no longer the caller's and nothing is stored.</param>
    /// <param name="giveUp">When set, the query is not attempted again: it fails with this text.</param>
    public async Task<AnsweredQuery> AnswerAsync(string tdqlHash, Func<CancellationToken, Task<bool>> commit, string? giveUp, CancellationToken ct)
    {
        var stored = await _store.FindAsync(tdqlHash, ct);
        if (stored is null) return new AnsweredQuery(AnswerResult.Missing, null, null, "");
        return await AnswerAsync(stored, commit, giveUp, ct);
    }

    /// <summary>
    /// As above for a TDQL the caller already holds as claimed (written by itself, or carried by the request from
    /// the watcher that claimed it), so it need not be read again. Should it have changed meanwhile, the store's
    /// compare-and-set says so and the TDQL is read once to tell a redelivery from a redo.
    /// </summary>
    /// <param name="plainQdata">The TDQL's qdata already decrypted by the caller (a bus query it has just stored),
    /// so the private-key operation is not done twice.</param>
    public async Task<AnsweredQuery> AnswerAsync(StoredTdql stored, Func<CancellationToken, Task<bool>> commit, string? giveUp, CancellationToken ct, byte[]? plainQdata = null)
    {
        var tdql = stored.Tdql;
        // Idempotent: a redelivered request re-announces the stored report instead of recomputing it.
        if (tdql.IsFinished && tdql.ReportId.Length > 0 && await _store.FindReportAsync(tdql.ReportId, ct) is { } existing)
        {
            return new AnsweredQuery(AnswerResult.Reannounced, tdql, existing, tdql.Status);
        }
        if (tdql.Status != Tdql.StatusProcessing) return new AnsweredQuery(AnswerResult.NotProcessing, tdql, null, tdql.Status);

        string? permanent = null;
        ReportOutcome outcome;
        if (giveUp is not null)
        {
            outcome = ReportOutcome.Failed(giveUp);
        }
        else
        {
            try
            {
                outcome = await GenerateAsync(tdql, ct, plainQdata);
            }
            catch (Exception e) when (IsPermanent(e))
            {
                // Archive documents are hostile input too: one that breaks a report breaks it on every attempt.
                permanent = $"{e.GetType().Name}: {e.Message}";
                outcome = ReportOutcome.Failed(ReportOutcome.ServerErrorText);
            }
        }
        var report = outcome.ToDocument(tdql.QType, tdql.UserId, _clock.GetCurrentInstant());
        if (ReportSize.TooLarge(report, _options.MaxReportBytes) is { } tooLarge)
        {
            outcome = ReportOutcome.Failed(tooLarge);
            report = outcome.ToDocument(tdql.QType, tdql.UserId, _clock.GetCurrentInstant());
        }
        if (!await commit(ct)) return new AnsweredQuery(AnswerResult.ClaimLost, tdql, null, outcome.Status);
        bool taken;
        try
        {
            taken = await _store.CompleteAsync(stored, report, outcome.Status, ct);
        }
        catch (Exception e) when (IsPermanent(e))
        {
            // The store refused this document where the check above could not tell: the query fails with a report that fits.
            permanent = $"{e.GetType().Name}: {e.Message}";
            outcome = ReportOutcome.Failed(ReportOutcome.ServerErrorText);
            report = outcome.ToDocument(tdql.QType, tdql.UserId, _clock.GetCurrentInstant());
            taken = await _store.CompleteAsync(stored, report, outcome.Status, ct);
        }
        if (taken) return new AnsweredQuery(AnswerResult.Answered, tdql, report, outcome.Status, permanent);
        // Finished meanwhile under this claim (a redelivered request whose first copy got there): announced again.
        // Anything else is a redo by the API, which the watcher claims and answers afresh.
        var now = await _store.FindAsync(tdql.Hash, ct);
        if (now?.Tdql is { IsFinished: true } done && await _store.FindReportAsync(done.ReportId, ct) is { } finishedReport)
        {
            return new AnsweredQuery(AnswerResult.Reannounced, done, finishedReport, done.Status);
        }
        return new AnsweredQuery(AnswerResult.Superseded, tdql, null, now?.Tdql.Status ?? "");
    }

    /// <summary>Faults that no retry can mend: a document or value in a shape the code cannot read or write.</summary>
    public static bool IsPermanent(Exception e) =>
        e is BsonException or FormatException or InvalidCastException or TahoeFormatException or KeyNotFoundException or OverflowException
            or ArgumentException or ReportNotStorableException;

    /// <summary>The report's outcome without storing anything: rejections become failed outcomes, faults escape.</summary>
    public async Task<ReportOutcome> GenerateAsync(Tdql tdql, CancellationToken ct, byte[]? plainQdata = null)
    {
        try
        {
            var qdata = plainQdata is null ? QueryDecoder.Decode(tdql.QData, tdql.Encrypted, _cipher) : QueryDecoder.FromPlain(plainQdata);
            var query = QueryValidator.Validate(tdql.QType, qdata);
            var range = _dtRange.Resolve(query.From, query.To, query.Last, query.TzName);
            var user = await _identity.FindUserAsync(tdql.UserId, ct)
                ?? throw new InvalidUserException("User does not exist in identity db!");
            return tdql.QType switch
            {
                ReportTypes.Count => await _count.RunAsync(query, range, user, ct),
                ReportTypes.Related => await _related.RunAsync(query, range, user, ct),
                ReportTypes.Threatrank => await _threatrank.RunAsync(query, user, ct),
                _ => throw new InvalidParameterValueException($"Invalid query type = {tdql.QType}!"),
            };
        }
        catch (QueryRejectedException e)
        {
            return ReportOutcome.Failed(e.ReportText);
        }
        catch (QueryDecodeException e)
        {
            return ReportOutcome.Rejected("QueryDecodeError", e.Message);
        }
    }
}
