using System.Globalization;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;

namespace Cybex.Report.Testing;

/// <summary>
/// The fixture comparison rule: dict key order does not matter, list order does, numbers compare by value
/// (Python's <c>3 == 3.0</c>); the report hash separately pins int versus float.
/// </summary>
public static class BsonCompare
{
    /// <summary>Null when equal, otherwise a short description of the first difference.</summary>
    public static string? Diff(BsonValue expected, BsonValue actual, string path = "$")
    {
        if (expected.IsNumeric && actual.IsNumeric)
        {
            return expected.ToDouble().Equals(actual.ToDouble()) ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
        }
        if (expected.BsonType != actual.BsonType) return $"{path}: expected {Show(expected)}, got {Show(actual)}";
        switch (expected.BsonType)
        {
            case BsonType.Document:
                var e = expected.AsBsonDocument;
                var a = actual.AsBsonDocument;
                var missing = e.Names.Except(a.Names).FirstOrDefault();
                if (missing is not null) return $"{path}: missing key {PyRepr.Str(missing)}";
                var extra = a.Names.Except(e.Names).FirstOrDefault();
                if (extra is not null) return $"{path}: unexpected key {PyRepr.Str(extra)}";
                foreach (var el in e)
                {
                    if (Diff(el.Value, a[el.Name], $"{path}.{el.Name}") is { } d) return d;
                }
                return null;
            case BsonType.Array:
                var ea = expected.AsBsonArray;
                var aa = actual.AsBsonArray;
                for (var i = 0; i < Math.Min(ea.Count, aa.Count); i++)
                {
                    if (Diff(ea[i], aa[i], $"{path}[{i}]") is { } d) return d;
                }
                return ea.Count == aa.Count ? null : $"{path}: expected {ea.Count} items, got {aa.Count}";
            default:
                return expected.Equals(actual) ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
        }
    }

    public static bool CloseTo(double expected, double actual, double relativeTolerance) =>
        expected == actual || Math.Abs(expected - actual) <= relativeTolerance * Math.Max(Math.Abs(expected), Math.Abs(actual));

    private static string Show(BsonValue v)
    {
        var text = PyRepr.Of(v);
        return text.Length > 80 ? text[..77] + "..." : text;
    }

    public static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
