using MongoDB.Bson;
using NodaTime;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;

namespace Cybex.Report.Domain.Reports;

/// <summary>What one query produced: the TDQL status to set and the Report's data and paging.</summary>
public sealed record ReportOutcome(string Status, BsonValue Data, int CurrentPage, int NextPage)
{
    public const string ServerErrorText = "Failed to generate report due to server error!";

    public static ReportOutcome Ready(BsonValue data, int currentPage = 1, int nextPage = 1) => new(Tdql.StatusReady, data, currentPage, nextPage);

    public static ReportOutcome Failed(string text) => new(Tdql.StatusFailed, new BsonString(text), 1, 1);

    /// <summary>A failed report in the original's <c>"{repr(e)}! -- {str(e)}"</c> shape.</summary>
    public static ReportOutcome Rejected(string kind, string message) => Failed(QueryRejectedException.TextOf(kind, message));

    /// <summary>The Report document in the original's field order (domain §10.1).</summary>
    public BsonDocument ToDocument(string qtype, string userId, Instant timestamp) => new()
    {
        { "itype", "report" },
        { "userid", userId },
        { "timestamp", TahoeTime.ToEpochSeconds(timestamp) },
        { "current_page", CurrentPage },
        { "next_page", NextPage },
        { "data", Data },
        { "sub_type", qtype },
        { "_hash", TahoeHash.Report(qtype, Data) },
    };
}
