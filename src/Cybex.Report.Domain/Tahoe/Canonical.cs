using System.Security.Cryptography;
using System.Text;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Tahoe;

/// <summary>TAHOE's <c>canonical</c>/<c>decanonical</c> and the SHA-256 hex digests built on them.</summary>
public static class Canonical
{
    public static string Of(BsonValue value) => value.BsonType switch
    {
        BsonType.Document => OfDocument(value.AsBsonDocument),
        BsonType.Array => OfArray(value.AsBsonArray),
        BsonType.String => PyJson.DumpString(PyJson.PyStrip(value.AsString)),
        _ => PyJson.Dumps(value),
    };

    private static string OfDocument(BsonDocument doc)
    {
        var nested = new BsonDocument();
        foreach (var el in doc) nested[el.Name] = Of(el.Value);
        return PyJson.Dumps(nested);
    }

    private static string OfArray(BsonArray array)
    {
        var items = array.Select(Of).Distinct(StringComparer.Ordinal).OrderBy(s => s, CodePointComparer.Instance);
        return PyJson.Dumps(new BsonArray(items));
    }

    /// <summary>
    /// Inverse of <see cref="Of"/> as the report applies it to query text: parse, then recurse into containers;
    /// text that does not parse is returned unchanged.
    /// </summary>
    public static BsonValue Decanonical(string text, int maxDepth = PyJsonReader.DefaultMaxDepth)
    {
        if (!PyJsonReader.TryParse(text, out var parsed, maxDepth)) return new BsonString(text);
        return DecanonicalValue(parsed, maxDepth);
    }

    private static BsonValue DecanonicalValue(BsonValue parsed, int maxDepth) => parsed.BsonType switch
    {
        BsonType.Document => new BsonDocument(parsed.AsBsonDocument.Select(e => new BsonElement(e.Name, DecanonicalNested(e.Value, maxDepth)))),
        BsonType.Array => new BsonArray(parsed.AsBsonArray.Select(v => DecanonicalNested(v, maxDepth))),
        _ => parsed,
    };

    // Python's decanonical(value) on a non-string returns it untouched: json.loads fails with TypeError.
    private static BsonValue DecanonicalNested(BsonValue value, int maxDepth) =>
        value.IsString ? Decanonical(value.AsString, maxDepth) : value;

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
