using Cybex.Report.Tahoe;
using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Tahoe.Query;
using Cybex.Report.Tahoe.Reports;
using Cybex.Report.Tahoe.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Storage.Reports;

/// <summary>How processing one request ended.</summary>
public enum ProcessingResult
{
    /// <summary>The report was generated and stored.</summary>
    Answered,

    /// <summary>The TDQL was already finished under this claim (a redelivery after the store): its report is announced again.</summary>
    Reannounced,

    /// <summary>The TDQL no longer exists.</summary>
    Missing,

    /// <summary>The TDQL is not processing (an API redo set it back to wait): this request is stale.</summary>
    NotProcessing,

    /// <summary>The claim was lost before the report was stored (its lease expired and another took over).</summary>
    ClaimLost,
}

/// <summary>The outcome of processing one TDQL, with what the reply to the API and the log need.</summary>
public sealed record ProcessedQuery(ProcessingResult Result, Tdql? Tdql, BsonDocument? Report, string Status, long DatabaseCommands, string? PermanentError = null);

/// <summary>
/// One TDQL from stored document to stored report: decode, validate, resolve the time range, check the user,
/// generate, store (domain §2.4 with the deviations of compatibility.md). A query that cannot be answered, or
/// whose answer can never be stored, ends as a failed report; only transient faults escape as exceptions, so
/// they can be retried.
/// </summary>
public sealed class ReportProcessor(ReportStore store, IdentityStore identity, ReportGenerator generator, IClock clock, QueryCipher? cipher, ReportOptions options)
{
    private readonly DtRange _dtRange = new(clock);

    /// <summary>For tools that hold no lease (conformance): the TDQL must still be processing.</summary>
    public Task<ProcessedQuery> ProcessAsync(string tdqlHash, CancellationToken ct) => ProcessAsync(tdqlHash, _ => Task.FromResult(true), null, ct);

    /// <param name="commit">Called once the report is built, before anything is written: false means the claim
    /// is no longer the caller's and nothing is stored.</param>
    /// <param name="giveUp">When set, the query is not attempted again: it fails with this text.</param>
    public async Task<ProcessedQuery> ProcessAsync(string tdqlHash, Func<CancellationToken, Task<bool>> commit, string? giveUp, CancellationToken ct)
    {
        using var scope = CommandCounter.Begin();
        var doc = await store.FindTdqlAsync(tdqlHash, ct);
        if (doc is null) return new ProcessedQuery(ProcessingResult.Missing, null, null, "", scope.Commands);
        return await ProcessAsync(tdqlHash, doc, commit, giveUp, scope, ct);
    }

    /// <summary>As above for a TDQL the caller has just written and claimed itself, so it need not be read again.</summary>
    public async Task<ProcessedQuery> ProcessClaimedAsync(BsonDocument claimed, Func<CancellationToken, Task<bool>> commit, CancellationToken ct)
    {
        using var scope = CommandCounter.Begin();
        return await ProcessAsync(claimed["_hash"].AsString, claimed, commit, null, scope, ct);
    }

    private async Task<ProcessedQuery> ProcessAsync(string tdqlHash, BsonDocument doc, Func<CancellationToken, Task<bool>> commit, string? giveUp, CommandCounter.Scope scope, CancellationToken ct)
    {
        Tdql tdql;
        try
        {
            tdql = Tdql.Parse(doc);
        }
        catch (TahoeFormatException e)
        {
            throw new MalformedTdqlException(tdqlHash, e.Message);
        }
        // Idempotent: a redelivered request re-announces the stored report instead of recomputing it.
        if (tdql.IsFinished && tdql.ReportId.Length > 0 && await store.FindReportAsync(tdql.ReportId, ct) is { } existing)
        {
            return new ProcessedQuery(ProcessingResult.Reannounced, tdql, existing, tdql.Status, scope.Commands);
        }
        if (tdql.Status != Tdql.StatusProcessing) return new ProcessedQuery(ProcessingResult.NotProcessing, tdql, null, tdql.Status, scope.Commands);

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
                outcome = await GenerateAsync(tdql, ct);
            }
            catch (Exception e) when (IsPermanent(e))
            {
                // Archive documents are hostile input too: one that breaks a report breaks it on every attempt.
                permanent = $"{e.GetType().Name}: {e.Message}";
                outcome = ReportOutcome.Failed(ReportOutcome.ServerErrorText);
            }
        }
        var report = outcome.ToDocument(tdql.QType, tdql.UserId, clock.GetCurrentInstant());
        if (ReportSize.TooLarge(report, options.MaxReportBytes) is { } tooLarge)
        {
            outcome = ReportOutcome.Failed(tooLarge);
            report = outcome.ToDocument(tdql.QType, tdql.UserId, clock.GetCurrentInstant());
        }
        if (!await commit(ct)) return new ProcessedQuery(ProcessingResult.ClaimLost, tdql, null, outcome.Status, scope.Commands);
        try
        {
            report = await store.CompleteAsync(doc, report, outcome.Status, ct);
        }
        catch (Exception e) when (IsPermanent(e))
        {
            // The store refused this document (too large or unserialisable where the check above could not tell):
            // the same report will never fit, so the query fails with a report that does.
            permanent = $"{e.GetType().Name}: {e.Message}";
            outcome = ReportOutcome.Failed(ReportOutcome.ServerErrorText);
            report = await store.CompleteAsync(doc, outcome.ToDocument(tdql.QType, tdql.UserId, clock.GetCurrentInstant()), outcome.Status, ct);
        }
        return new ProcessedQuery(ProcessingResult.Answered, tdql, report, outcome.Status, scope.Commands, permanent);
    }

    /// <summary>Faults that no retry can mend: a document or value in a shape the code cannot read or write.</summary>
    public static bool IsPermanent(Exception e) =>
        e is BsonException or FormatException or InvalidCastException or TahoeFormatException or KeyNotFoundException or OverflowException or ArgumentException
        || e is MongoDB.Driver.MongoWriteException { WriteError.Code: 10334 or 17419 } // BSONObjectTooLarge, too large after update
        || e is MongoDB.Driver.MongoBulkWriteException b && b.WriteErrors.Any(w => w.Code is 10334 or 17419);

    public async Task<ReportOutcome> GenerateAsync(Tdql tdql, CancellationToken ct)
    {
        try
        {
            var qdata = QueryDecoder.Decode(tdql.QData, tdql.Encrypted, cipher);
            var query = QueryValidator.Validate(tdql.QType, qdata);
            var range = _dtRange.Resolve(query.From, query.To, query.Last, query.TzName);
            var user = await identity.FindUserAsync(tdql.UserId, ct)
                ?? throw new InvalidUserException("User does not exist in identity db!");
            return tdql.QType switch
            {
                QueryValidator.ReportTypeCount => await generator.CountAsync(query, range, user, ct),
                QueryValidator.ReportTypeRelated => await generator.RelatedAsync(query, range, user, ct),
                QueryValidator.ReportTypeThreatrank => await generator.ThreatrankAsync(query, user, ct),
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

/// <summary>A TDQL document that is not in the API's shape; it cannot be answered and is not retried.</summary>
public sealed class MalformedTdqlException(string hash, string reason) : Exception($"TDQL {hash} is malformed: {reason}")
{
    public string Hash { get; } = hash;

    public string Reason { get; } = reason;
}
