using System.Globalization;
using System.Text;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Python;

/// <summary>Python <c>repr()</c> of JSON-like values, as it appears inside the original's error messages.</summary>
public static class PyRepr
{
    public static string Of(BsonValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, BsonValue value)
    {
        switch (value.BsonType)
        {
            case BsonType.Null: sb.Append("None"); break;
            case BsonType.Boolean: sb.Append(value.AsBoolean ? "True" : "False"); break;
            case BsonType.Double:
                var d = value.AsDouble;
                sb.Append(double.IsNaN(d) ? "nan" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf" : PyJson.FloatRepr(d));
                break;
            case BsonType.String: sb.Append(Str(value.AsString)); break;
            case BsonType.Array:
                sb.Append('[');
                for (var i = 0; i < value.AsBsonArray.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, value.AsBsonArray[i]);
                }
                sb.Append(']');
                break;
            case BsonType.Document:
                sb.Append('{');
                var first = true;
                foreach (var el in value.AsBsonDocument)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    sb.Append(Str(el.Name)).Append(": ");
                    Write(sb, el.Value);
                }
                sb.Append('}');
                break;
            default: PyJson.Write(sb, value); break;
        }
    }

    /// <summary>Python <c>repr(str)</c>: single quotes unless the text has a single quote and no double quote.</summary>
    public static string Str(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var c in s)
        {
            if (c == quote || c == '\\') sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7F) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.Append(quote).ToString();
    }
}
