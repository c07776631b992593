using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Time;

namespace Cybex.Report.Domain.Reports;

/// <summary>What selects the events of one attribute: time range, category, context and the user's orgs (domain §5).</summary>
public sealed record EventSelection(string AttributeHash, TimeRange Range, string Category, string Context, IReadOnlyList<string> OrgHashes)
{
    public static EventSelection Of(ReportQuery q, TimeRange range, UserAccess user) =>
        new(TahoeHash.Attribute(q.SubType!, q.Data), range, q.Category, q.Context, user.OrgHashes);
}
