using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Quotas;
using Cybex.Report.Testing;
using MongoDB.Bson;
using NodaTime;
using Xunit;

namespace Cybex.Report.Storage.Tests;

public class QuotaStoreTests
{
    private static readonly Instant Now = Instant.FromUnixTimeSeconds(1_700_000_000);
    private static readonly string OrgA = new('a', 64);
    private static readonly string OrgB = new('b', 64);

    [Fact]
    public async Task A_quota_is_spent_only_on_the_version_read_so_two_workers_never_spend_the_same_allowance()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new QuotaStore(mongo.Mongo);
        await store.SetAsync(OrgA, 5, CancellationToken.None);
        var first = (await store.ReadAsync([OrgA], CancellationToken.None))[OrgA];
        var second = (await store.ReadAsync(null, CancellationToken.None))[OrgA];

        Assert.True(await store.TryTakeAsync(first, 3, Now, CancellationToken.None));
        Assert.False(await store.TryTakeAsync(second, 3, Now, CancellationToken.None));

        var now = (await store.ReadAsync([OrgA], CancellationToken.None))[OrgA].Quota;
        Assert.Equal(3, now.UsedAt(Now));
        Assert.Equal(2, now.Allowance(Now));
        // An operator changing the limit keeps what was counted.
        await store.SetAsync(OrgA, 4, CancellationToken.None);
        Assert.Equal(1, (await store.ReadAsync([OrgA], CancellationToken.None))[OrgA].Quota.Allowance(Now));
        Assert.True(await store.RemoveAsync(OrgA, CancellationToken.None));
        Assert.Empty(await store.ReadAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task A_quota_document_damaged_by_hand_is_no_quota_and_of_two_for_one_org_the_oldest_counts()
    {
        await using var mongo = new ScratchDatabases("t");
        await mongo.Mongo.Quotas.InsertManyAsync(
        [
            new BsonDocument { { "org", OrgA }, { "per_minute", "lots" } },
            new BsonDocument { { "org", 42 }, { "per_minute", 5 } },
            new BsonDocument { { "org", OrgB }, { "per_minute", 7 }, { "used", new BsonArray { new BsonDocument { { "s", "x" } }, 3, new BsonDocument { { "s", Now.ToUnixTimeSeconds() }, { "n", 2 } } } } },
            new BsonDocument { { "org", OrgB }, { "per_minute", 100 } },
        ]);

        var quotas = await new QuotaStore(mongo.Mongo).ReadAsync(null, CancellationToken.None);

        Assert.Equal([OrgB], quotas.Keys);
        Assert.Equal(7, quotas[OrgB].Quota.PerMinute);
        Assert.Equal(5, quotas[OrgB].Quota.Allowance(Now));
    }
}
