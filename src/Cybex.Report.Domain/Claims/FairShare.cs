namespace Cybex.Report.Domain.Claims;

/// <summary>
/// Which waiting TDQLs a claim batch takes, and in what order: round-robin across orgs, within an org round-robin
/// across its users, oldest first within each user, and never more of one user's than keeps that user's claimed,
/// unanswered queries within the limit. Everything claimed goes into one FIFO queue, so the order of a batch is
/// the order of service, and the limit is how far one user's backlog can get ahead of everyone else's.
/// </summary>
public static class FairShare
{
    /// <summary>A waiting TDQL with the user it is for and the org its user is counted under.</summary>
    public sealed record Candidate<T>(T Item, string User, string Org);

    /// <param name="oldestFirst">The waiting TDQLs read, oldest first.</param>
    /// <param name="inFlight">Each user's claims made and not yet answered.</param>
    /// <param name="orgAllowance">How many more an org with a quota (<see cref="OrgQuota"/>) may have claimed now; orgs not named have no quota.</param>
    public static List<T> Pick<T>(IReadOnlyList<Candidate<T>> oldestFirst, IReadOnlyDictionary<string, int> inFlight, int maxInFlightPerUser,
        IReadOnlyDictionary<string, int>? orgAllowance = null)
    {
        // Insertion order of the groupings keeps the oldest org, and the oldest user within it, first.
        var orgs = oldestFirst
            .GroupBy(c => c.Org)
            .Select(org => (Org: org.Key, Users: new Queue<Queue<T>>(org.GroupBy(c => c.User)
                .Select(user => new Queue<T>(user.Take(Math.Max(0, maxInFlightPerUser - inFlight.GetValueOrDefault(user.Key))).Select(c => c.Item)))
                .Where(user => user.Count > 0))))
            .Where(org => org.Users.Count > 0)
            .ToList();
        var picked = new List<T>();
        var turn = new Queue<(string Org, int Left, Queue<Queue<T>> Users)>(orgs
            .Select(o => (o.Org, Left: orgAllowance is not null && orgAllowance.TryGetValue(o.Org, out var left) ? left : int.MaxValue, o.Users))
            .Where(o => o.Left > 0));
        while (turn.TryDequeue(out var org))
        {
            var user = org.Users.Dequeue();
            picked.Add(user.Dequeue());
            if (user.Count > 0) org.Users.Enqueue(user);
            if (org.Users.Count > 0 && org.Left > 1) turn.Enqueue(org with { Left = org.Left - 1 });
        }
        return picked;
    }

    /// <summary>The org a user is counted under: the first of their orgs, else a group of their own.</summary>
    public static string OrgOf(string user, IReadOnlyList<string>? orgs) =>
        orgs is { Count: > 0 } ? orgs.Min(StringComparer.Ordinal)! : "user:" + user;
}
