using System.Security.Cryptography;
using System.Text;
using Cybex.Report.Tahoe.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Tahoe.Documents;

/// <summary>
/// Builds TAHOE documents (domain §1.4) the way the TAHOE library stores them, for tools that write an
/// archive: the demo, the benchmark and the import of hand-written data.
/// </summary>
public static class TahoeDocuments
{
    public static BsonDocument Attribute(string subType, BsonValue data) => new()
    {
        { "itype", "attribute" },
        { "data", data },
        { "sub_type", subType },
        { "_hash", TahoeHash.Attribute(subType, data) },
    };

    /// <summary>data maps each child sub_type to its values; _cref the children, _ref their closure.</summary>
    private static (BsonDocument Data, List<string> Cref, List<string> Ref) Edges(IReadOnlyList<BsonDocument> children)
    {
        var data = new BsonDocument();
        foreach (var child in children)
        {
            var key = child["sub_type"].AsString;
            if (!data.Contains(key)) data[key] = new BsonArray();
            data[key].AsBsonArray.Add(child["data"]);
        }
        var cref = children.Select(c => c["_hash"].AsString).Distinct().ToList();
        var refs = cref.Concat(children.Where(c => c.Contains("_ref")).SelectMany(c => c["_ref"].AsBsonArray.Select(v => v.AsString))).Distinct().ToList();
        return (data, cref, refs);
    }

    public static BsonDocument Object(string subType, IReadOnlyList<BsonDocument> children)
    {
        var (data, cref, refs) = Edges(children);
        return new BsonDocument
        {
            { "itype", "object" }, { "data", data }, { "_cref", new BsonArray(cref) }, { "_ref", new BsonArray(refs) },
            { "sub_type", subType }, { "_hash", TahoeHash.Object("object", subType, data) },
        };
    }

    /// <summary>An event; <paramref name="malicious"/> and <paramref name="benign"/> are context hashes among its _ref.</summary>
    public static BsonDocument Event(string subType, IReadOnlyList<BsonDocument> children, string orgId, Instant timestamp, string category = "unknown",
        IEnumerable<string>? malicious = null, IEnumerable<string>? benign = null)
    {
        var (data, cref, refs) = Edges(children);
        var ts = TahoeTime.ToEpochSeconds(timestamp);
        return new BsonDocument
        {
            { "itype", "event" }, { "orgid", orgId }, { "timestamp", ts }, { "category", category }, { "data", data },
            { "_cref", new BsonArray(cref) }, { "_ref", new BsonArray(refs) },
            { "_ben_ref", new BsonArray((benign ?? []).Where(refs.Contains).Distinct()) },
            { "_mal_ref", new BsonArray((malicious ?? []).Where(refs.Contains).Distinct()) },
            { "sub_type", subType }, { "_hash", TahoeHash.Event(subType, orgId, ts, data) },
        };
    }

    /// <summary>A session: hash over its identifying children only; member events join its _ref.</summary>
    public static BsonDocument Session(string subType, IReadOnlyList<BsonDocument> identifying, IEnumerable<string> eventHashes)
    {
        var (data, cref, refs) = Edges(identifying);
        return new BsonDocument
        {
            { "itype", "session" }, { "data", data }, { "_cref", new BsonArray(cref) }, { "_ref", new BsonArray(refs.Concat(eventHashes).Distinct()) },
            { "sub_type", subType }, { "_hash", TahoeHash.Object("session", subType, data) },
        };
    }

    /// <summary>A CYBEX-P user (identity_db) with its child attributes; the password is stored as the original does.</summary>
    public static (BsonDocument User, IReadOnlyList<BsonDocument> Children) User(string email, string name, string password)
    {
        var children = new[]
        {
            Attribute("email_addr", email),
            Attribute("password", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)))),
            Attribute("name", name),
        };
        var user = Object("cybexp_user", children);
        user["_hash"] = TahoeHash.User("cybexp_user", email);
        return (user, children);
    }

    /// <summary>A CYBEX-P org whose members the DAM reads from <c>_usr_ref</c>.</summary>
    public static (BsonDocument Org, IReadOnlyList<BsonDocument> Children) Org(string orgName, string name, IReadOnlyList<BsonDocument> users, IReadOnlyList<BsonDocument> admins)
    {
        var admin = Object("admin", admins.Count > 0 ? admins : users);
        var children = new List<BsonDocument> { Attribute("orgname", orgName), Attribute("name", name) };
        children.AddRange(users);
        children.Add(admin);
        var org = Object("cybexp_org", children);
        org["_hash"] = TahoeHash.Org(orgName);
        var userHashes = new BsonArray(users.Select(u => u["_hash"].AsString));
        var adminHashes = new BsonArray(admins.Select(u => u["_hash"].AsString));
        org["_usr_ref"] = userHashes;
        org["_adm_ref"] = adminHashes;
        org["_acl"] = new BsonArray(userHashes.Concat(adminHashes).Distinct());
        return (org, [children[0], children[1], admin]);
    }
}
