using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Answering;

/// <summary>
/// A TDQL as report_db holds it, parsed once: the document (every status change edits it in place and compares
/// its edges) and its checked fields.
/// </summary>
public sealed record StoredTdql(BsonDocument Document, Tdql Tdql)
{
    public string Hash => Tdql.Hash;

    /// <summary>
    /// Whether its fields are the ones its hash and edges name: rebuilt from them, the TDQL has its own hash and
    /// exactly its edges. A copy whose fields were changed without its edges (another userid, another qdata) is not;
    /// only a self-consistent copy may stand in for the stored TDQL, whose edges the store compares.
    /// </summary>
    public bool IsSelfConsistent()
    {
        var t = Tdql;
        var (rebuilt, _) = TdqlDocuments.Build(t.QType, t.QHash, t.QData, t.UserId, t.Timestamp, t.Encrypted, t.Status, t.Socket, t.ReportId);
        return rebuilt["_hash"] == Document["_hash"] && rebuilt["_cref"] == Document["_cref"] && rebuilt["_ref"] == Document["_ref"];
    }

    /// <exception cref="MalformedTdqlException">The document is not in the API's shape.</exception>
    public static StoredTdql Parse(BsonDocument doc)
    {
        try
        {
            return new StoredTdql(doc, Tdql.Parse(doc));
        }
        catch (TahoeFormatException e)
        {
            var hash = doc.GetValue("_hash", BsonNull.Value);
            throw new MalformedTdqlException(hash.IsString ? TextLimits.Shorten(hash.AsString, 80) : "(no hash)", e.Message);
        }
    }
}
