using MongoDB.Bson;

namespace Cybex.Report.Domain.Tahoe;

/// <summary>
/// A TDQL query object as the CYBEX-P API stores it (domain §2.2), read with every field checked: a document
/// that is not in this shape is refused rather than half-processed.
/// </summary>
public sealed record Tdql(
    string Hash,
    string QType,
    string QHash,
    string QData,
    string UserId,
    double Timestamp,
    bool Encrypted,
    string Status,
    string ReportId,
    TdqlSocket Socket)
{
    public const string StatusInvalid = "invalid";
    public const string StatusWait = "wait";
    public const string StatusProcessing = "processing";
    public const string StatusReady = "ready";
    public const string StatusFailed = "failed";

    public bool IsFinished => Status is StatusReady or StatusFailed;

    public static Tdql Parse(BsonDocument doc)
    {
        if (doc.GetValue("itype", BsonNull.Value) != "object" || doc.GetValue("sub_type", BsonNull.Value) != "query")
        {
            throw new TahoeFormatException("document is not a TDQL (itype object, sub_type query)");
        }
        var hash = doc.GetValue("_hash", BsonNull.Value);
        if (!hash.IsString || !TdqlHashes.IsValid(hash.AsString)) throw new TahoeFormatException("TDQL _hash is not 64 lower-case hex characters");
        // Every later edit swaps hashes in these lists; one non-hash element would break each of them.
        Edges(doc, "_cref");
        Edges(doc, "_ref");
        if (!doc.TryGetValue("data", out var dataValue) || !dataValue.IsBsonDocument) throw new TahoeFormatException("TDQL has no data object");
        var data = dataValue.AsBsonDocument;
        var socketDoc = First(data, "socket");
        if (!socketDoc.IsBsonDocument) throw new TahoeFormatException("TDQL data.socket is not an object");
        var socket = socketDoc.AsBsonDocument;
        var port = First(socket, "port");
        if (!port.IsInt32 && !port.IsInt64) throw new TahoeFormatException("TDQL socket port is not an integer");
        return new Tdql(
            hash.AsString,
            String(data, "qtype"),
            String(data, "qhash"),
            String(data, "qdata"),
            String(data, "userid"),
            First(data, "timestamp") is { IsNumeric: true } ts ? ts.ToDouble() : throw new TahoeFormatException("TDQL data.timestamp is not a number"),
            First(data, "encrypted") is { IsBoolean: true } enc ? enc.AsBoolean : throw new TahoeFormatException("TDQL data.encrypted is not a bool"),
            String(data, "status"),
            String(data, "report_id"),
            new TdqlSocket(String(socket, "host"), port.ToInt64() is >= 0 and <= int.MaxValue ? (int)port.ToInt64() : -1, String(socket, "nonce")));
    }

    private static void Edges(BsonDocument doc, string key)
    {
        if (!doc.TryGetValue(key, out var list) || !list.IsBsonArray) throw new TahoeFormatException($"TDQL {key} is not a list");
        if (!list.AsBsonArray.All(v => v.IsString && TdqlHashes.IsValid(v.AsString)))
        {
            throw new TahoeFormatException($"TDQL {key} holds an element that is not a 64 lower-case hex hash");
        }
    }

    private static BsonValue First(BsonDocument data, string key)
    {
        if (!data.TryGetValue(key, out var list) || !list.IsBsonArray || list.AsBsonArray.Count == 0)
        {
            throw new TahoeFormatException($"TDQL data.{key} is not a non-empty list");
        }
        return list.AsBsonArray[0];
    }

    private static string String(BsonDocument data, string key) =>
        First(data, key) is { IsString: true } s ? s.AsString : throw new TahoeFormatException($"TDQL data.{key} is not a string");
}
