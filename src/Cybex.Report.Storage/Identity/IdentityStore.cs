using System.Collections.Concurrent;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Reports;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Identity;

/// <summary>
/// Users and their orgs. Lookups may be cached for <c>Reports:IdentityCacheSeconds</c>: a change of org
/// membership then takes effect within that time.
/// </summary>
public sealed class IdentityStore(MongoContext mongo, IClock clock, Duration cacheFor) : IIdentityReader
{
    private static readonly string[] UserSubTypes = ["cybexp_user", "cybexp_superuser"];
    private readonly ConcurrentDictionary<string, (UserAccess? User, Instant Until)> _cache = new();

    /// <summary>Every lookup reads identity_db (tools and tests).</summary>
    public IdentityStore(MongoContext mongo) : this(mongo, SystemClock.Instance, Duration.Zero)
    {
    }

    public async Task<UserAccess?> FindUserAsync(string userHash, CancellationToken ct)
    {
        if (cacheFor <= Duration.Zero) return await LoadUserAsync(userHash, ct);
        var now = clock.GetCurrentInstant();
        if (_cache.TryGetValue(userHash, out var hit) && hit.Until > now) return hit.User;
        var user = await LoadUserAsync(userHash, ct);
        if (_cache.Count > 10_000) _cache.Clear();
        _cache[userHash] = (user, now + cacheFor);
        return user;
    }

    /// <summary>The user and their orgs in one round trip, or null when the user does not exist.</summary>
    private async Task<UserAccess?> LoadUserAsync(string userHash, CancellationToken ct)
    {
        var f = Builders<BsonDocument>.Filter;
        var filter = f.Or(
            f.Eq("itype", "object") & f.In("sub_type", UserSubTypes) & f.Eq("_hash", userHash),
            f.Eq("itype", "object") & f.Eq("sub_type", "cybexp_org") & f.Eq("_usr_ref", userHash));
        var docs = await mongo.Identity.Find(filter)
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("sub_type").Exclude("_id"))
            .ToListAsync(ct);
        if (!docs.Any(d => UserSubTypes.Contains(d.GetValue("sub_type", "").ToString()) && d.GetValue("_hash", "") == userHash)) return null;
        var orgs = docs.Where(d => d.GetValue("sub_type", "") == "cybexp_org").Select(d => d["_hash"].AsString).Distinct().ToList();
        return new UserAccess(userHash, orgs);
    }
}
