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
