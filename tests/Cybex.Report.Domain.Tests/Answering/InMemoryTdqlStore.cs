using Cybex.Report.Domain.Answering;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Tests.Answering;

/// <summary>The TDQL port over dictionaries; <see cref="Refuse"/> makes it turn reports down as a full database would.</summary>
public sealed class InMemoryTdqlStore : ITdqlStore
{
    public Dictionary<string, StoredTdql> Tdqls { get; } = [];

    public Dictionary<string, BsonDocument> Reports { get; } = [];

    public List<(string Tdql, string Report, string Status)> Completions { get; } = [];

    /// <summary>Refuses every report whose data is not a string (a failure text), for good.</summary>
    public bool Refuse { get; set; }

    public Task<StoredTdql?> FindAsync(string hash, CancellationToken ct) => Task.FromResult(Tdqls.GetValueOrDefault(hash));

    public Task<BsonDocument?> FindReportAsync(string reportHash, CancellationToken ct) => Task.FromResult(Reports.GetValueOrDefault(reportHash));

    public Task<bool> CompleteAsync(StoredTdql tdql, BsonDocument report, string status, CancellationToken ct)
    {
        if (Refuse && !report["data"].IsString) throw new ReportNotStorableException("too large", new InvalidOperationException());
        Reports[report["_hash"].AsString] = report;
        // The compare-and-set: only a TDQL still as it was read takes the report.
        var taken = Tdqls.TryGetValue(tdql.Hash, out var current) && current.Document["_ref"] == tdql.Document["_ref"];
        if (taken) Completions.Add((tdql.Hash, report["_hash"].AsString, status));
        return Task.FromResult(taken);
    }
}
