using MongoDB.Bson;

namespace Cybex.Report.Domain.Reports;

internal static class TahoeRefs
{
    /// <summary>The string hashes of a document's <c>_ref</c>; anything else there is hostile and ignored.</summary>
    public static IEnumerable<string> Of(BsonDocument doc) =>
        doc.TryGetValue("_ref", out var r) && r.IsBsonArray ? r.AsBsonArray.Where(v => v.IsString).Select(v => v.AsString) : [];
}
