using System.Globalization;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Tahoe;

/// <summary>The <c>_hash</c> recipes of every TAHOE document type (domain §1.3).</summary>
public static class TahoeHash
{
    public static string Attribute(string subType, BsonValue data) => Canonical.Sha256Hex("attribute" + subType + Canonical.Of(data));

    public static string Object(string itype, string subType, BsonDocument data) => Canonical.Sha256Hex(itype + subType + Canonical.Of(data));

    public static string Event(string subType, string orgId, double timestamp, BsonDocument data) =>
        Canonical.Sha256Hex("event" + subType + orgId + PyJson.FloatRepr(timestamp) + Canonical.Of(data));

    public static string Raw(string subType, BsonValue data) => Canonical.Sha256Hex("raw" + subType + Canonical.Of(data));

    public static string Report(string qtype, BsonValue data) => Canonical.Sha256Hex("report" + qtype + Canonical.Of(data));

    public static string Tdql(string qtype, string qhash, string userId, double timestamp) =>
        Canonical.Sha256Hex("objectquery" + qtype + qhash + userId + HourBucket(timestamp).ToString(CultureInfo.InvariantCulture));

    public static string User(string subType, string email) => Canonical.Sha256Hex("object" + subType + email);

    public static string Org(string orgName) => Canonical.Sha256Hex("objectcybexp_org" + orgName);

    /// <summary>Python <c>int(ts)//3600</c>: truncation toward zero, then floor division.</summary>
    public static long HourBucket(double timestamp) => (long)Math.Floor(Math.Truncate(timestamp) / 3600);

    /// <summary>
    /// Recomputes the hash of a stored document from its own fields, or null when the document type carries
    /// no reproducible recipe (TDQL and raw documents are checked by their own callers).
    /// </summary>
    public static string? Recompute(BsonDocument doc)
    {
        var itype = doc.GetValue("itype", BsonNull.Value);
        var subType = doc.GetValue("sub_type", BsonNull.Value);
        if (!itype.IsString || !subType.IsString) return null;
        var data = doc.GetValue("data", BsonNull.Value);
        switch (itype.AsString)
        {
            case "attribute":
                return Attribute(subType.AsString, data);
            case "event":
                var orgId = doc.GetValue("orgid", BsonNull.Value);
                var ts = doc.GetValue("timestamp", BsonNull.Value);
                if (!orgId.IsString || !ts.IsNumeric || !data.IsBsonDocument) return null;
                return Event(subType.AsString, orgId.AsString, ts.ToDouble(), data.AsBsonDocument);
            case "report":
                return Report(subType.AsString, data);
            case "raw":
                return Raw(subType.AsString, data);
            case "object" when subType.AsString is "cybexp_user" or "cybexp_superuser":
                return EmailOf(data) is { } email ? User(subType.AsString, email) : null;
            case "object" when subType.AsString == "cybexp_org":
                return FirstString(data, "orgname") is { } orgName ? Org(orgName) : null;
            case "object" when subType.AsString == "query":
                return null;
            case "object" or "session":
                return data.IsBsonDocument ? Object(itype.AsString, subType.AsString, data.AsBsonDocument) : null;
            default:
                return null;
        }
    }

    private static string? EmailOf(BsonValue data) => FirstString(data, "email_addr");

    private static string? FirstString(BsonValue data, string key) =>
        data.IsBsonDocument && data.AsBsonDocument.TryGetValue(key, out var list) && list.IsBsonArray
        && list.AsBsonArray.Count > 0 && list.AsBsonArray[0].IsString
            ? list.AsBsonArray[0].AsString
            : null;
}
