using MongoDB.Bson;

namespace Cybex.Report.Domain.Reports;

/// <summary>
/// MongoDB stores no document above 16 MiB. A report that would not fit can never be stored, however often it is
/// retried, so the query fails with a text that says how large it was and how to narrow it.
/// </summary>
public static class ReportSize
{
    /// <summary>The largest report document written; below MongoDB's 16 MiB so the update around it fits too.</summary>
    public const int DefaultMaxBytes = 16_000_000;

    /// <summary>The failure text when <paramref name="report"/> is above <paramref name="maxBytes"/>, else null.</summary>
    public static string? TooLarge(BsonDocument report, int maxBytes)
    {
        // Only a related report's list or summary can grow; counts, ranks and failure texts are bounded, and
        // serialising every report twice (here and in the write) would be paid on the hot path.
        if (report.GetValue("data", BsonNull.Value) is not (BsonArray or BsonDocument)) return null;
        var bytes = report.ToBson().Length;
        if (bytes <= maxBytes) return null;
        return $"Report too large: {bytes / 1e6:F1} MB is more than the {maxBytes / 1e6:F1} MB a report may have! -- "
            + "narrow the query: 'summary': true, one 'return_type', a lower 'level' or a shorter time range";
    }
}
