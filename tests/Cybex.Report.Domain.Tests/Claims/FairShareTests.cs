using Cybex.Report.Domain.Claims;
using Xunit;

namespace Cybex.Report.Domain.Tests.Claims;

public class FairShareTests
{
    private static FairShare.Candidate<string> C(string item, string user, string org) => new(item, user, org);

    private static readonly Dictionary<string, int> NoneInFlight = [];

    [Fact]
    public void A_flooding_user_and_a_lone_user_of_another_org_alternate_from_the_start()
    {
        var waiting = Enumerable.Range(0, 5).Select(i => C($"alice{i}", "alice", "org-a")).Append(C("eve0", "eve", "org-b")).ToList();

        Assert.Equal(["alice0", "eve0", "alice1", "alice2", "alice3", "alice4"], FairShare.Pick(waiting, NoneInFlight, 10));
    }

    [Fact]
    public void Orgs_take_turns_before_users_so_an_org_of_many_users_does_not_crowd_out_one_of_few()
    {
        var waiting = new[]
        {
            C("a1", "alice", "org-a"), C("b1", "bob", "org-a"), C("c1", "carol", "org-a"), C("a2", "alice", "org-a"),
            C("e1", "eve", "org-b"), C("e2", "eve", "org-b"),
        };

        Assert.Equal(["a1", "e1", "b1", "e2", "c1", "a2"], FairShare.Pick(waiting, NoneInFlight, 10));
    }

    [Fact]
    public void Within_a_user_the_oldest_goes_first()
    {
        var waiting = new[] { C("old", "alice", "org-a"), C("eve", "eve", "org-b"), C("new", "alice", "org-a") };

        var picked = FairShare.Pick(waiting, NoneInFlight, 10);

        Assert.True(picked.IndexOf("old") < picked.IndexOf("new"));
    }

    [Fact]
    public void A_user_gets_no_more_than_the_limit_less_what_is_already_in_flight()
    {
        var waiting = Enumerable.Range(0, 10).Select(i => C($"alice{i}", "alice", "org-a")).Append(C("eve0", "eve", "org-b")).ToList();
        var inFlight = new Dictionary<string, int> { ["alice"] = 13, ["eve"] = 15 };

        Assert.Equal(["alice0", "eve0", "alice1", "alice2"], FairShare.Pick(waiting, inFlight, 16));
        Assert.Empty(FairShare.Pick(waiting, new Dictionary<string, int> { ["alice"] = 16, ["eve"] = 40 }, 16));
    }

    [Fact]
    public void A_user_in_no_org_is_a_group_of_their_own()
    {
        Assert.Equal("user:u1", FairShare.OrgOf("u1", null));
        Assert.Equal("user:u1", FairShare.OrgOf("u1", []));
        Assert.Equal("org-a", FairShare.OrgOf("u1", ["org-b", "org-a"]));
    }

    [Fact]
    public void An_org_at_its_quota_gets_nothing_and_one_under_it_no_more_than_its_allowance_while_others_go_on()
    {
        var waiting = new[]
        {
            C("a1", "alice", "org-a"), C("b1", "bob", "org-a"), C("a2", "alice", "org-a"), C("e1", "eve", "org-b"), C("e2", "eve", "org-b"), C("d1", "dave", "org-c"),
        };

        Assert.Equal(["a1", "e1", "d1", "b1", "e2"], FairShare.Pick(waiting, NoneInFlight, 10, new Dictionary<string, int> { ["org-a"] = 2 }));
        Assert.Equal(["e1", "d1", "e2"], FairShare.Pick(waiting, NoneInFlight, 10, new Dictionary<string, int> { ["org-a"] = 0 }));
    }
}
