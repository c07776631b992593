using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Storage;

/// <summary>A user as the DAM sees them: the orgs whose <c>_usr_ref</c> lists them.</summary>
public sealed record UserAccess(string UserHash, IReadOnlyList<string> OrgHashes);

public sealed class IdentityStore(MongoContext mongo)
{
    private static readonly string[] UserSubTypes = ["cybexp_user", "cybexp_superuser"];

    /// <summary>The user and their orgs in one round trip, or null when the user does not exist.</summary>
    public async Task<UserAccess?> FindUserAsync(string userHash, CancellationToken ct)
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
