using Cybex.Report.Tahoe;
using Cybex.Report.Tahoe.Query;
using Cybex.Report.Tahoe.Reports;
using Cybex.Report.Tahoe.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Storage.Reports;

/// <summary>Runs the three report types over the archive for one validated query.</summary>
public sealed class ReportGenerator(ArchiveStore archive, ReportOptions options, IClock clock)
{
    public const int PageSize = 10;
    private const int SessionMemberLimit = 10;
    private const int ThreatrankAttributeHops = 3;

    public async Task<ReportOutcome> CountAsync(ReportQuery q, TimeRange range, UserAccess user, CancellationToken ct)
    {
        var selection = Selection(q, range, user);
        var count = await archive.CountEventsAsync(selection, options.CountLimit, ct);
        return ReportOutcome.Ready(count <= int.MaxValue ? new BsonInt32((int)count) : new BsonInt64(count));
    }

    private static EventSelection Selection(ReportQuery q, TimeRange range, UserAccess user) =>
        new(TahoeHash.Attribute(q.SubType!, q.Data), range, q.Category, q.Context, user.OrgHashes);

    public async Task<ReportOutcome> RelatedAsync(ReportQuery q, TimeRange range, UserAccess user, CancellationToken ct)
    {
        var selection = Selection(q, range, user);
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
            foreach (var r in Refs(e)) hashes.Add(r);
            frontier.Add(e);
        }

        // Each session hop costs two commands for the whole frontier, whatever its size.
        for (var level = q.Level; level >= 2 && frontier.Count > 0; level--)
        {
            var current = frontier;
            frontier = [];
            var sessions = await archive.SessionsOfEventsAsync(current.Select(e => e["_hash"].AsString).Distinct(), ct);
            if (sessions.Count == 0) break;
            foreach (var s in sessions) hashes.Add(s["_hash"].AsString);
            // D14: the members are filtered to the user's orgs before the first 10 by timestamp are taken, exactly
            // like the first hop's events; an event filtered out is neither reported nor expanded.
            var members = await archive.EventsAmongAsync(sessions.SelectMany(Refs).Distinct(), user.OrgHashes, ct);
            var byHash = members.ToDictionary(m => m["_hash"].AsString);
            foreach (var s in sessions)
            {
                var first = Refs(s).Distinct().Where(byHash.ContainsKey).Select(h => byHash[h])
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

    private static IEnumerable<string> Refs(BsonDocument doc) =>
        doc.TryGetValue("_ref", out var r) && r.IsBsonArray ? r.AsBsonArray.Where(v => v.IsString).Select(v => v.AsString) : [];

    public async Task<ReportOutcome> ThreatrankAsync(ReportQuery q, UserAccess user, CancellationToken ct)
    {
        var targetDoc = await archive.EventAsync(q.Hash, ct);
        // D3: the target must be one of the user's orgs' events; the paths and degrees still span all orgs.
        if (targetDoc is null || !targetDoc.TryGetValue("orgid", out var org) || !org.IsString || !user.OrgHashes.Contains(org.AsString))
        {
            return ReportOutcome.Rejected("EventNotFound", "Event not found");
        }
        if (targetDoc.GetValue("category", "") == "malicious") return ReportOutcome.Ready(-1);

        var events = new Dictionary<string, BsonDocument> { [q.Hash] = targetDoc };
        var attributesOf = new Dictionary<string, List<string>>();
        var holdersOf = new Dictionary<string, IReadOnlyList<string>>();
        var frontier = new List<string> { q.Hash };
        for (var hop = 0; hop <= ThreatrankAttributeHops && frontier.Count > 0; hop++)
        {
            var attributeDocs = await archive.AttributeHashesAsync(frontier.SelectMany(h => Refs(events[h])).Distinct(), ct);
            foreach (var h in frontier) attributesOf[h] = Refs(events[h]).Distinct().Where(attributeDocs.Contains).ToList();
            // The last ring of events only needs its degree; its attributes lead past the path length limit.
            if (hop == ThreatrankAttributeHops) break;
            var fresh = frontier.SelectMany(h => attributesOf[h]).Distinct().Where(a => !holdersOf.ContainsKey(a)).ToList();
            if (fresh.Count == 0) break;
            var holders = await archive.EventsHoldingAsync(fresh, ct);
            var freshSet = fresh.ToHashSet();
            var lists = fresh.ToDictionary(a => a, _ => new List<string>());
            frontier = [];
            foreach (var e in holders)
            {
                var hash = e["_hash"].AsString;
                if (events.TryAdd(hash, e)) frontier.Add(hash);
                foreach (var a in Refs(e).Distinct().Where(freshSet.Contains)) lists[a].Add(hash);
            }
            foreach (var (a, list) in lists) holdersOf[a] = list;
        }

        var graph = events.Where(e => attributesOf.ContainsKey(e.Key)).ToDictionary(
            e => e.Key,
            e => new RankEvent(e.Key, e.Value.GetValue("category", "") == "malicious", e.Value["timestamp"].ToDouble(), attributesOf[e.Key]));
        var rank = new ThreatRank(clock.GetCurrentInstant(), options.ThreatrankMaxPathSteps);
        try
        {
            var value = rank.Compute(graph[q.Hash], graph, holdersOf);
            return ReportOutcome.Ready(value is { } v ? new BsonDouble(v) : new BsonInt32(0));
        }
        catch (ThreatRank.TooManyPathsException e)
        {
            return ReportOutcome.Rejected("ThreatrankLimit", e.Message);
        }
    }
}
