using MongoDB.Bson;

namespace Cybex.Report.Domain.Answering;

/// <summary>The TDQLs and reports of report_db, as the answering of one query needs them.</summary>
public interface ITdqlStore
{
    /// <summary>The TDQL of a hash (never a copy marked malformed), or null.</summary>
    /// <exception cref="MalformedTdqlException">The TDQL is there but not in the API's shape.</exception>
    Task<StoredTdql?> FindAsync(string hash, CancellationToken ct);

    Task<BsonDocument?> FindReportAsync(string reportHash, CancellationToken ct);

    /// <summary>
    /// Stores the report and points the TDQL at it with its new status, only if the TDQL still has the edges it
    /// was read with (an API redo in the meantime is not overwritten). False when the TDQL had changed: the report
    /// is stored, but it is not the TDQL's.
    /// </summary>
    /// <exception cref="ReportNotStorableException">The store refuses this report for good.</exception>
    Task<bool> CompleteAsync(StoredTdql tdql, BsonDocument report, string status, CancellationToken ct);
}
