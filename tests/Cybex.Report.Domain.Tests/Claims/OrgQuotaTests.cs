using Cybex.Report.Domain.Claims;
using NodaTime;
using Xunit;

namespace Cybex.Report.Domain.Tests.Claims;

public class OrgQuotaTests
{
    private static readonly Instant Noon = Instant.FromUtc(2026, 12, 7, 12, 0, 0);

    private static long S(Instant t) => t.ToUnixTimeSeconds();

    [Fact]
    public void Claims_of_the_last_minute_count_and_older_ones_do_not()
    {
        var quota = new OrgQuota("org-a", 10, [new(S(Noon) - 60, 5), new(S(Noon) - 59, 3), new(S(Noon), 2)]);

        Assert.Equal(5, quota.UsedAt(Noon));
        Assert.Equal(5, quota.Allowance(Noon));
        Assert.Equal(2, quota.UsedAt(Noon + Duration.FromSeconds(1)));
    }

    [Fact]
    public void An_org_at_its_quota_is_allowed_again_when_enough_of_its_claims_leave_the_window()
    {
        var quota = new OrgQuota("org-a", 4, [new(S(Noon) - 30, 3), new(S(Noon) - 10, 2)]);
        var now = Noon + Duration.FromMilliseconds(400);

        Assert.Equal(0, quota.Allowance(now));
        // One over: the 3 of 30 s ago must leave before one more is allowed.
        Assert.Equal(Instant.FromUnixTimeSeconds(S(Noon) + 30), quota.FreesAt(now));
        Assert.Equal(2, quota.Allowance(Instant.FromUnixTimeSeconds(S(Noon) + 30)));
        Assert.Equal(now, new OrgQuota("org-a", 6, quota.Used).FreesAt(now));
    }

    [Fact]
    public void Taking_adds_to_this_second_and_drops_what_left_the_window()
    {
        var quota = new OrgQuota("org-a", 100, [new(S(Noon) - 61, 7), new(S(Noon) - 5, 1), new(S(Noon), 2)]);

        var used = quota.Taking(3, Noon + Duration.FromMilliseconds(999));

        Assert.Equal([new QuotaUse(S(Noon) - 5, 1), new QuotaUse(S(Noon), 5)], used);
        Assert.Equal(94, (quota with { Used = used }).Allowance(Noon));
    }
}
