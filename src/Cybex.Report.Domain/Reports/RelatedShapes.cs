using MongoDB.Bson;

namespace Cybex.Report.Domain.Reports;

/// <summary>The three output shapes of a <c>related</c> report (domain §6.2), from documents in natural order.</summary>
public static class RelatedShapes
{
    /// <summary>sub_type → list of data values of the attribute documents, in document order.</summary>
    public static BsonDocument Summary(IEnumerable<BsonDocument> docs)
    {
        var result = new BsonDocument();
        foreach (var doc in docs.Where(d => d.GetValue("itype", BsonNull.Value) == "attribute"))
        {
            var key = doc["sub_type"].AsString;
            if (!result.Contains(key)) result[key] = new BsonArray();
            result[key].AsBsonArray.Add(doc["data"]);
        }
        return result;
    }

    /// <summary>
    /// For each attribute reachable from the queried one, <c>[data, labels]</c> with labels running from the
    /// attribute back to the source, in breadth-first discovery order over an undirected graph whose edges are
    /// added document by document (objects and events to <c>_cref</c>, sessions to <c>_ref</c>), as networkx does.
    /// </summary>
    public static BsonDocument Graph(IReadOnlyList<BsonDocument> docs, string sourceHash)
    {
        var byHash = new Dictionary<string, BsonDocument>();
        foreach (var doc in docs) byHash.TryAdd(doc["_hash"].AsString, doc);
        var adjacency = new Dictionary<string, List<string>>();
        void Link(string a, string b)
        {
            if (!adjacency.TryGetValue(a, out var list)) adjacency[a] = list = [];
            if (!list.Contains(b)) list.Add(b);
        }
        foreach (var doc in docs)
        {
            var itype = doc.GetValue("itype", BsonNull.Value);
            var edgeField = itype == "session" ? "_ref" : itype == "object" || itype == "event" ? "_cref" : null;
            if (edgeField is null || !doc.TryGetValue(edgeField, out var targets) || !targets.IsBsonArray) continue;
            var self = doc["_hash"].AsString;
            foreach (var target in targets.AsBsonArray.Where(t => t.IsString).Select(t => t.AsString))
            {
                if (target == self) continue;
                Link(self, target);
                Link(target, self);
            }
        }
        var result = new BsonDocument();
        // D6: the original raised NodeNotFound when the source had no edges; an empty graph is the honest answer.
        if (!adjacency.ContainsKey(sourceHash)) return result;

        var paths = new Dictionary<string, List<string>> { [sourceHash] = [sourceHash] };
        var order = new List<string> { sourceHash };
        var level = new List<string> { sourceHash };
        while (level.Count > 0)
        {
            var next = new List<string>();
            foreach (var v in level)
            {
                foreach (var w in adjacency.GetValueOrDefault(v) ?? [])
                {
                    if (paths.ContainsKey(w)) continue;
                    paths[w] = [.. paths[v], w];
                    order.Add(w);
                    next.Add(w);
                }
            }
            level = next;
        }
        foreach (var node in order)
        {
            if (!byHash.TryGetValue(node, out var doc) || doc.GetValue("itype", BsonNull.Value) != "attribute") continue;
            var path = paths[node];
            if (path.Any(h => !byHash.ContainsKey(h))) continue;
            var labels = new BsonArray(Enumerable.Reverse(path).Select(h => $"{byHash[h]["sub_type"].AsString}={byHash[h]["itype"].AsString}"));
            var key = doc["sub_type"].AsString;
            if (!result.Contains(key)) result[key] = new BsonArray();
            result[key].AsBsonArray.Add(new BsonArray { doc["data"], labels });
        }
        return result;
    }
}
