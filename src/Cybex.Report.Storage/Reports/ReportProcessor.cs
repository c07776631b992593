using Cybex.Report.Tahoe;
using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Tahoe.Query;
using Cybex.Report.Tahoe.Reports;
using Cybex.Report.Tahoe.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Storage.Reports;

/// <summary>The outcome of processing one TDQL, with what the reply to the API needs.</summary>
public sealed record ProcessedQuery(Tdql Tdql, BsonDocument Report, string Status, long DatabaseCommands, bool AlreadyFinished);

/// <summary>
/// One TDQL from stored document to stored report: decode, validate, resolve the time range, check the user,
/// generate, store (domain §2.4 with the deviations of compatibility.md). A query that cannot be answered
/// ends as a failed report; only infrastructure faults escape as exceptions, so they can be retried.
/// </summary>
public sealed class ReportProcessor(ReportStore store, IdentityStore identity, ReportGenerator generator, IClock clock, QueryCipher? cipher)
{
    private readonly DtRange _dtRange = new(clock);

    public async Task<ProcessedQuery?> ProcessAsync(string tdqlHash, CancellationToken ct)
    {
        using var scope = CommandCounter.Begin();
        var doc = await store.FindTdqlAsync(tdqlHash, ct);
        if (doc is null) return null;
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
            return new ProcessedQuery(tdql, existing, tdql.Status, scope.Commands, true);
        }
        var outcome = await GenerateAsync(tdql, ct);
        var report = await store.CompleteAsync(doc, outcome, clock.GetCurrentInstant(), ct);
        return new ProcessedQuery(tdql, report, outcome.Status, scope.Commands, false);
    }

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
}
