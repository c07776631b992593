using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Reports;

/// <summary>How many of the user's orgs' events hold the attribute in the range (domain §5, D12).</summary>
public sealed class CountReport(IArchiveReader archive, ReportOptions options)
{
    public async Task<ReportOutcome> RunAsync(ReportQuery q, TimeRange range, UserAccess user, CancellationToken ct)
    {
        var count = await archive.CountEventsAsync(EventSelection.Of(q, range, user), options.CountLimit, ct);
        return ReportOutcome.Ready(count <= int.MaxValue ? new BsonInt32((int)count) : new BsonInt64(count));
    }
}
