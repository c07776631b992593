using Cybex.Report.Domain.Reports;
using NodaTime;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class ThreatRankTests
{
    private static readonly Instant Now = Instant.FromUnixTimeSeconds(1_641_006_245);
    private static readonly double NowSeconds = 1_641_006_245;

    private static double? Rank(RankEvent target, params RankEvent[] others)
    {
        var events = others.Append(target).ToDictionary(e => e.Hash);
        var holders = events.Values.SelectMany(e => e.Attributes.Select(a => (a, e.Hash)))
            .GroupBy(p => p.a).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(p => p.Hash).ToList());
        return new ThreatRank(Now, 1_000_000).Compute(target, events, holders);
    }

    [Fact]
    public void One_shared_attribute_gives_one_path()
    {
        var m = new RankEvent("M", true, NowSeconds, ["a", "b"]);
        var t = new RankEvent("T", false, NowSeconds, ["a", "c"]);
        Assert.Equal(-0.125, Rank(t, m));
    }

    [Fact]
    public void Malicious_target_is_minus_one_and_no_path_is_null()
    {
        Assert.Equal(-1, Rank(new RankEvent("M", true, NowSeconds, ["a"])));
        Assert.Null(Rank(new RankEvent("T", false, NowSeconds, ["x"]), new RankEvent("M", true, NowSeconds, ["a"])));
    }

    [Fact]
    public void Older_malicious_events_weigh_less_per_day()
    {
        var m1 = new RankEvent("M1", true, NowSeconds - 10 * 86400, ["a"]);
        var m2 = new RankEvent("M2", true, NowSeconds, ["b"]);
        var t = new RankEvent("T", false, NowSeconds, ["a", "b", "c"]);
        Assert.Equal(-0.33002984055865825, Rank(t, m1, m2)!.Value, 15);
    }

    [Fact]
    public void Two_shared_attributes_give_two_paths_and_a_future_target_has_minus_one_day()
    {
        var m = new RankEvent("M", true, NowSeconds, ["a", "b"]);
        Assert.Equal(-0.25, Rank(new RankEvent("T", false, NowSeconds, ["a", "b"]), m));
        Assert.Equal(-0.25050100200400804, Rank(new RankEvent("T", false, NowSeconds + 1, ["a", "b"]), m)!.Value, 15);
    }

    [Fact]
    public void Paths_longer_than_seven_nodes_are_not_counted_and_dead_branches_add_nothing()
    {
        // M - a - E1 - b - E2 - c - E3 - d - T: nine nodes, beyond the limit.
        var m = new RankEvent("M", true, NowSeconds, ["a"]);
        var e1 = new RankEvent("E1", false, NowSeconds, ["a", "b"]);
        var e2 = new RankEvent("E2", false, NowSeconds, ["b", "c"]);
        var e3 = new RankEvent("E3", false, NowSeconds, ["c", "d"]);
        Assert.Null(Rank(new RankEvent("T", false, NowSeconds, ["d"]), m, e1, e2, e3));
        // Seven nodes: M - a - E1 - b - E2 - c - T is counted.
        Assert.NotNull(Rank(new RankEvent("T", false, NowSeconds, ["c"]), m, e1, e2));
    }

    [Fact]
    public void A_dense_neighbourhood_fails_with_a_clear_message_instead_of_running_away()
    {
        var events = Enumerable.Range(0, 30).Select(i => new RankEvent($"E{i}", i % 2 == 0, NowSeconds, ["a", "b", "c", "d"])).ToArray();
        var target = new RankEvent("T", false, NowSeconds, ["a", "b", "c", "d"]);
        var all = events.Append(target).ToDictionary(e => e.Hash);
        var holders = new[] { "a", "b", "c", "d" }.ToDictionary(a => a, _ => (IReadOnlyList<string>)all.Keys.ToList());
        var error = Assert.Throws<ThreatRank.TooManyPathsException>(() => new ThreatRank(Now, 1000).Compute(target, all, holders));
        Assert.Contains("too dense", error.Message);
    }
}
