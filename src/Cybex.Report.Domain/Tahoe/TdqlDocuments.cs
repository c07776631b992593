using MongoDB.Bson;

namespace Cybex.Report.Domain.Tahoe;

/// <summary>Builds TDQL documents and their child documents exactly as the API's TAHOE objects store them.</summary>
public static class TdqlDocuments
{
    public static BsonDocument Socket(string host, int port, string nonce) =>
        TahoeDocuments.Object("socket", [TahoeDocuments.Attribute("host", host), TahoeDocuments.Attribute("port", port), TahoeDocuments.Attribute("nonce", nonce)]);

    /// <summary>The TDQL and every child document, as the API leaves them once the socket is set.</summary>
    public static (BsonDocument Tdql, IReadOnlyList<BsonDocument> Children) Build(
        string qtype, string qhash, string qdataLiteral, string userId, double timestamp, bool encrypted, string status,
        TdqlSocket socket, string reportId = "")
    {
        var socketDoc = Socket(socket.Host, socket.Port, socket.Nonce);
        var attributes = new[]
        {
            TahoeDocuments.Attribute("qtype", qtype), TahoeDocuments.Attribute("qhash", qhash), TahoeDocuments.Attribute("qdata", qdataLiteral), TahoeDocuments.Attribute("userid", userId),
            TahoeDocuments.Attribute("timestamp", timestamp), TahoeDocuments.Attribute("encrypted", encrypted), TahoeDocuments.Attribute("status", status), TahoeDocuments.Attribute("report_id", reportId),
        };
        var children = attributes.Append(socketDoc).ToList();
        var tdql = TahoeDocuments.Object("query", children);
        tdql["_hash"] = TahoeHash.Tdql(qtype, qhash, userId, timestamp);
        var all = attributes.Concat(socketDoc["data"].AsBsonDocument.Elements.Select(e => TahoeDocuments.Attribute(e.Name, e.Value[0]))).Append(socketDoc).ToList();
        return (tdql, all);
    }

    /// <summary>
    /// The in-place edit that replaces attribute children (status, report_id): <c>data.key</c> set to the new
    /// value, and each old child hash swapped for the new one in <c>_cref</c> and <c>_ref</c>. Returns the edited
    /// copy and the new child documents.
    /// </summary>
    public static (BsonDocument Tdql, IReadOnlyList<BsonDocument> Children) ReplaceChildren(BsonDocument tdql, IReadOnlyDictionary<string, BsonValue> values)
    {
        var copy = tdql.DeepClone().AsBsonDocument;
        var children = new List<BsonDocument>();
        foreach (var (key, value) in values)
        {
            var oldHash = TahoeHash.Attribute(key, copy["data"][key][0]);
            var child = TahoeDocuments.Attribute(key, value);
            var newHash = child["_hash"].AsString;
            BsonArray Swap(BsonArray list) => new(list.Select(v => v.AsString == oldHash ? newHash : v.AsString).Distinct());
            copy["_cref"] = Swap(copy["_cref"].AsBsonArray);
            copy["_ref"] = Swap(copy["_ref"].AsBsonArray);
            copy["data"][key] = new BsonArray { value };
            children.Add(child);
        }
        return (copy, children);
    }
}
