using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>Claims counted in one second of an org's quota window.</summary>
public sealed record QuotaUse(long Second, int Count);

/// <summary>
/// An operator's limit on an org's queries: at most <see cref="PerMinute"/> claimed in any minute (a sliding
/// window), the rest left waiting until the window allows them. Claims are counted per second, so the record stays
/// a few dozen entries long whatever the limit.
/// </summary>
/// <param name="Org">The org's hash (or the group of a user without an org, <see cref="FairShare.OrgOf"/>).</param>
/// <param name="Used">Claims counted so far, by the epoch second they were made in; old seconds are ignored.</param>
public sealed record OrgQuota(string Org, int PerMinute, IReadOnlyList<QuotaUse> Used)
{
    public const int MaxPerMinute = 1_000_000;

    public static readonly Duration Window = Duration.FromMinutes(1);

    /// <summary>Claims made in the minute up to <paramref name="now"/>.</summary>
    public int UsedAt(Instant now) => Live(now).Sum(u => u.Count);

    /// <summary>How many more may be claimed now.</summary>
    public int Allowance(Instant now) => Math.Max(0, PerMinute - UsedAt(now));

    /// <summary>When the next claim is allowed: now while any is, else when enough counted seconds have left the window.</summary>
    public Instant FreesAt(Instant now)
    {
        var excess = UsedAt(now) - PerMinute;
        if (excess < 0) return now;
        foreach (var use in Live(now).OrderBy(u => u.Second))
        {
            excess -= use.Count;
            if (excess < 0) return Instant.FromUnixTimeSeconds(use.Second) + Window;
        }
        return now;
    }

    /// <summary>The counts once <paramref name="count"/> more are claimed at <paramref name="now"/>: seconds out of the window dropped.</summary>
    public IReadOnlyList<QuotaUse> Taking(int count, Instant now)
    {
        var second = now.ToUnixTimeSeconds();
        var live = Live(now).Where(u => u.Second != second).OrderBy(u => u.Second).ToList();
        live.Add(new QuotaUse(second, count + Used.Where(u => u.Second == second).Sum(u => u.Count)));
        return live;
    }

    private IEnumerable<QuotaUse> Live(Instant now)
    {
        // A second counts for the minute after it began: a claim at 12:00:00.9 frees its place at 12:01:00.
        var oldest = (now - Window).ToUnixTimeSeconds();
        return Used.Where(u => u.Second > oldest && u.Count > 0);
    }
}
