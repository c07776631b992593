using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Reports;

/// <summary>
/// A page of the user's orgs' events holding the attribute, expanded through their sessions level by level, and
/// the documents they lead to, as a list, a summary or a graph (domain §6, D14).
/// </summary>
public sealed class RelatedReport(IArchiveReader archive)
{
    public const int PageSize = 10;
    private const int SessionMemberLimit = 10;

    public async Task<ReportOutcome> RunAsync(ReportQuery q, TimeRange range, UserAccess user, CancellationToken ct)
    {
        var selection = EventSelection.Of(q, range, user);
        var page = await archive.EventPageAsync(selection, (q.Page - 1) * PageSize, PageSize, ct);
        var structured = q.SummaryGraph || q.Summary;
        if (page.Count == 0) return ReportOutcome.Ready(structured ? new BsonDocument() : new BsonArray(), q.Page, 1);

        var hashes = new HashSet<string>();
        var expandedAt = new Dictionary<string, int>();
        var frontier = new List<BsonDocument>();
        foreach (var e in page) Expand(e, q.Level);

        void Expand(BsonDocument e, int level)
        {
            var hash = e["_hash"].AsString;
            if (expandedAt.TryGetValue(hash, out var done) && done >= level) return;
            expandedAt[hash] = level;
            hashes.Add(hash);
            foreach (var r in TahoeRefs.Of(e)) hashes.Add(r);
            frontier.Add(e);
        }

        // Each session hop costs two reads for the whole frontier, whatever its size.
        for (var level = q.Level; level >= 2 && frontier.Count > 0; level--)
        {
            var current = frontier;
            frontier = [];
            var sessions = await archive.SessionsOfEventsAsync(current.Select(e => e["_hash"].AsString).Distinct(), ct);
            if (sessions.Count == 0) break;
            foreach (var s in sessions) hashes.Add(s["_hash"].AsString);
            // D14: the members are filtered to the user's orgs before the first 10 by timestamp are taken, exactly
            // like the first hop's events; an event filtered out is neither reported nor expanded.
            var members = await archive.EventsAmongAsync(sessions.SelectMany(TahoeRefs.Of).Distinct(), user.OrgHashes, ct);
            var byHash = members.ToDictionary(m => m["_hash"].AsString);
            foreach (var s in sessions)
            {
                var first = TahoeRefs.Of(s).Distinct().Where(byHash.ContainsKey).Select(h => byHash[h])
                    .OrderBy(m => m["timestamp"].ToDouble()).Take(SessionMemberLimit);
                foreach (var m in first) Expand(m, level - 1);
            }
        }

        var itype = q.SummaryGraph ? null : q.Summary ? "attribute" : q.ReturnType == "all" ? null : q.ReturnType;
        var docs = await archive.DocumentsAsync(hashes, itype, itype == "event" ? user.OrgHashes : null, ct);
        BsonValue data = q.SummaryGraph ? RelatedShapes.Graph(docs, selection.AttributeHash)
            : q.Summary ? RelatedShapes.Summary(docs)
            : new BsonArray(docs);
        return ReportOutcome.Ready(data, q.Page, q.Page + 1);
    }
}
