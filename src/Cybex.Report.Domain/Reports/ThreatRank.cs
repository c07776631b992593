using NodaTime;
using Cybex.Report.Domain.Tahoe;

namespace Cybex.Report.Domain.Reports;

/// <summary>An event of the threatrank neighbourhood: its attributes (attribute documents in its <c>_ref</c>).</summary>
public sealed record RankEvent(string Hash, bool Malicious, double Timestamp, IReadOnlyList<string> Attributes);

/// <summary>
/// Threatrank (domain §7) as a sum over simple alternating event–attribute paths from every malicious event
/// to the target, at most 7 nodes long, each path scoring <c>-Π 0.998^days / degree</c>. Dead branches add
/// nothing (D2). The graph handed in must hold every event within three attribute hops of the target and the
/// global degree of each attribute on the way.
/// </summary>
public sealed class ThreatRank(Instant now, long maxPathSteps)
{
    public const int MaxPathNodes = 7;

    public sealed class TooManyPathsException(long limit)
        : Exception($"threatrank stopped after {limit} path steps: the neighbourhood of this event is too dense (Reports:ThreatrankMaxPathSteps)");

    /// <summary>-1 for a malicious target, 0 (an int in the report) when no path exists, else the sum.</summary>
    public double? Compute(RankEvent target, IReadOnlyDictionary<string, RankEvent> events, IReadOnlyDictionary<string, IReadOnlyList<string>> eventsOfAttribute)
    {
        if (target.Malicious) return -1;
        var steps = 0L;
        double sum = 0;
        var found = false;
        var path = new List<string> { target.Hash };
        var onPath = new HashSet<string> { target.Hash };

        double EventFactor(RankEvent e) => Math.Pow(0.998, DaysOld(e.Timestamp)) / e.Attributes.Count;

        // Walk backwards from the target; a path is scored from its malicious end, as the original multiplies.
        void Walk(RankEvent current)
        {
            if (path.Count + 2 > MaxPathNodes) return;
            foreach (var attribute in current.Attributes)
            {
                if (onPath.Contains(attribute)) continue;
                if (!eventsOfAttribute.TryGetValue(attribute, out var holders)) continue;
                onPath.Add(attribute);
                path.Add(attribute);
                foreach (var nextHash in holders)
                {
                    if (++steps > maxPathSteps) throw new TooManyPathsException(maxPathSteps);
                    if (onPath.Contains(nextHash) || !events.TryGetValue(nextHash, out var next)) continue;
                    onPath.Add(nextHash);
                    path.Add(nextHash);
                    if (next.Malicious)
                    {
                        sum += Score();
                        found = true;
                    }
                    Walk(next);
                    path.RemoveAt(path.Count - 1);
                    onPath.Remove(nextHash);
                }
                path.RemoveAt(path.Count - 1);
                onPath.Remove(attribute);
            }
        }

        double Score()
        {
            var tr = -1.0;
            for (var i = path.Count - 1; i >= 0; i--)
            {
                var node = path[i];
                tr = events.TryGetValue(node, out var e) || node == target.Hash
                    ? tr * EventFactor(e ?? target)
                    : tr / eventsOfAttribute[node].Count;
            }
            return tr;
        }

        Walk(target);
        return found ? sum : null;
    }

    /// <summary>Whole days between the event and now, floored, in UTC (the original mixed local and UTC time).</summary>
    public int DaysOld(double timestamp)
    {
        var age = now - TahoeTime.FromEpochSeconds(timestamp);
        return (int)Math.Floor(age.TotalDays);
    }
}
