using Cybex.Report.Domain.Queries;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Domain.Reports;

/// <summary>
/// The threat rank of one of the user's orgs' events (domain §7, D3): its neighbourhood of events sharing
/// attributes, up to the path length the rank looks at, read ring by ring, then ranked in memory.
/// </summary>
public sealed class ThreatrankReport(IArchiveReader archive, IClock clock, ReportOptions options)
{
    private const int AttributeHops = 3;

    public async Task<ReportOutcome> RunAsync(ReportQuery q, UserAccess user, CancellationToken ct)
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
        for (var hop = 0; hop <= AttributeHops && frontier.Count > 0; hop++)
        {
            var attributeDocs = await archive.AttributeHashesAsync(frontier.SelectMany(h => TahoeRefs.Of(events[h])).Distinct(), ct);
            foreach (var h in frontier) attributesOf[h] = TahoeRefs.Of(events[h]).Distinct().Where(attributeDocs.Contains).ToList();
            // The last ring of events only needs its degree; its attributes lead past the path length limit.
            if (hop == AttributeHops) break;
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
                foreach (var a in TahoeRefs.Of(e).Distinct().Where(freshSet.Contains)) lists[a].Add(hash);
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
