using Cybex.Report.Domain.Claims;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Quotas;

/// <summary>An org's quota as read, with what a write on it must still find.</summary>
public sealed record StoredQuota(BsonValue Id, long Version, OrgQuota Quota);

/// <summary>
/// Per-org quotas in <c>report_db.report_quotas</c>, one document per org: <c>{org, per_minute, used: [{s, n}], v}</c>.
/// Operators set <c>per_minute</c> (<c>cybex-report quota</c>); workers count their claims in <c>used</c>, each
/// write made only on the version it read, so two workers never both spend the same allowance.
/// </summary>
public sealed class QuotaStore(MongoContext mongo)
{
    private const string Org = "org";
    private const string PerMinute = "per_minute";
    private const string Used = "used";
    private const string Version = "v";

    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    /// <summary>
    /// Every readable quota, of the orgs named or all. A document an operator damaged by hand is passed over (no
    /// quota rather than a stopped watcher); of two for one org (a store without the unique index) the oldest counts.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, StoredQuota>> ReadAsync(IReadOnlyCollection<string>? orgs, CancellationToken ct)
    {
        var docs = await mongo.Quotas.Find(orgs is null ? F.Empty : F.In(Org, orgs)).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).ToListAsync(ct);
        var quotas = new Dictionary<string, StoredQuota>(StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            if (Parse(doc) is { } q) quotas.TryAdd(q.Quota.Org, q);
        }
        return quotas;
    }

    private static StoredQuota? Parse(BsonDocument d)
    {
        if (d.GetValue(Org, BsonNull.Value) is not BsonString org || d.GetValue(PerMinute, BsonNull.Value) is not { IsNumeric: true } per) return null;
        var perMinute = per.ToDouble();
        if (perMinute is < 0 or > OrgQuota.MaxPerMinute) return null;
        var used = d.GetValue(Used, BsonNull.Value) is BsonArray a
            ? a.OfType<BsonDocument>()
                .Where(u => u.GetValue("s", BsonNull.Value).IsNumeric && u.GetValue("n", BsonNull.Value).IsNumeric)
                .Select(u => new QuotaUse(u["s"].ToInt64(), (int)Math.Clamp(u["n"].ToInt64(), 0, OrgQuota.MaxPerMinute)))
                .ToList()
            : [];
        var version = d.GetValue(Version, BsonNull.Value) is { IsNumeric: true } v ? v.ToInt64() : 0;
        return new StoredQuota(d["_id"], version, new OrgQuota(org.Value, (int)perMinute, used));
    }

    /// <summary>Counts <paramref name="count"/> claims of the quota's org at <paramref name="now"/>; false when someone wrote the quota since it was read.</summary>
    public async Task<bool> TryTakeAsync(StoredQuota read, int count, Instant now, CancellationToken ct)
    {
        var used = new BsonArray(read.Quota.Taking(count, now).Select(u => new BsonDocument { { "s", u.Second }, { "n", u.Count } }));
        var filter = F.Eq("_id", read.Id) & (read.Version == 0 ? F.Exists(Version, false) : F.Eq(Version, read.Version));
        var result = await mongo.Quotas.UpdateOneAsync(filter, Builders<BsonDocument>.Update.Set(Used, used).Inc(Version, 1L), cancellationToken: ct);
        return result.ModifiedCount == 1;
    }

    /// <summary>Sets an org's quota, keeping what it has counted.</summary>
    public Task SetAsync(string org, int perMinute, CancellationToken ct) =>
        mongo.Quotas.UpdateOneAsync(F.Eq(Org, org), Builders<BsonDocument>.Update.Set(PerMinute, perMinute).Inc(Version, 1L), new UpdateOptions { IsUpsert = true }, ct);

    /// <summary>Removes an org's quota; true when it had one.</summary>
    public async Task<bool> RemoveAsync(string org, CancellationToken ct) => (await mongo.Quotas.DeleteManyAsync(F.Eq(Org, org), ct)).DeletedCount > 0;
}
