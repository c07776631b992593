using System.Security.Cryptography;
using System.Text;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>
/// Builds the archive's events and sessions and identity_db's users and orgs the way TAHOE stores them, for
/// tools that write an archive: the demo, the benchmark, the import of hand-written data and tests.
/// </summary>
public static class ArchiveDocuments
{
    /// <summary>An event; <paramref name="malicious"/> and <paramref name="benign"/> are context hashes among its _ref.</summary>
    public static BsonDocument Event(string subType, IReadOnlyList<BsonDocument> children, string orgId, Instant timestamp, string category = "unknown",
        IEnumerable<string>? malicious = null, IEnumerable<string>? benign = null)
    {
        var (data, cref, refs) = TahoeDocuments.Edges(children);
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
        var (data, cref, refs) = TahoeDocuments.Edges(identifying);
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
            TahoeDocuments.Attribute("email_addr", email),
            TahoeDocuments.Attribute("password", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)))),
            TahoeDocuments.Attribute("name", name),
        };
        var user = TahoeDocuments.Object("cybexp_user", children);
        user["_hash"] = TahoeHash.User("cybexp_user", email);
        return (user, children);
    }

    /// <summary>A CYBEX-P org whose members the DAM reads from <c>_usr_ref</c>.</summary>
    public static (BsonDocument Org, IReadOnlyList<BsonDocument> Children) Org(string orgName, string name, IReadOnlyList<BsonDocument> users, IReadOnlyList<BsonDocument> admins)
    {
        var admin = TahoeDocuments.Object("admin", admins.Count > 0 ? admins : users);
        var children = new List<BsonDocument> { TahoeDocuments.Attribute("orgname", orgName), TahoeDocuments.Attribute("name", name) };
        children.AddRange(users);
        children.Add(admin);
        var org = TahoeDocuments.Object("cybexp_org", children);
        org["_hash"] = TahoeHash.Org(orgName);
        var userHashes = new BsonArray(users.Select(u => u["_hash"].AsString));
        var adminHashes = new BsonArray(admins.Select(u => u["_hash"].AsString));
        org["_usr_ref"] = userHashes;
        org["_adm_ref"] = adminHashes;
        org["_acl"] = new BsonArray(userHashes.Concat(adminHashes).Distinct());
        return (org, [children[0], children[1], admin]);
    }
}
