using System.Globalization;
using System.Text;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Python;

/// <summary>
/// Reproduces Python's <c>json.dumps</c> output (default separators, <c>ensure_ascii=True</c>) because every
/// TAHOE hash is taken over that exact text.
/// </summary>
public static class PyJson
{
    public static string Dumps(BsonValue value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    public static void Write(StringBuilder sb, BsonValue value)
    {
        switch (value.BsonType)
        {
            case BsonType.Null: sb.Append("null"); break;
            case BsonType.Boolean: sb.Append(value.AsBoolean ? "true" : "false"); break;
            case BsonType.Int32: sb.Append(value.AsInt32.ToString(CultureInfo.InvariantCulture)); break;
            case BsonType.Int64: sb.Append(value.AsInt64.ToString(CultureInfo.InvariantCulture)); break;
            case BsonType.Decimal128 when IsIntegral(value.AsDecimal128.ToString()):
                sb.Append(value.AsDecimal128.ToString()); break;
            case BsonType.Double: sb.Append(FloatRepr(value.AsDouble)); break;
            case BsonType.String: WriteString(sb, value.AsString); break;
            case BsonType.Array:
                sb.Append('[');
                var first = true;
                foreach (var item in value.AsBsonArray)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
                break;
            case BsonType.Document:
                sb.Append('{');
                var firstKey = true;
                foreach (var el in value.AsBsonDocument.OrderBy(e => e.Name, CodePointComparer.Instance))
                {
                    if (!firstKey) sb.Append(", ");
                    firstKey = false;
                    WriteString(sb, el.Name);
                    sb.Append(": ");
                    Write(sb, el.Value);
                }
                sb.Append('}');
                break;
            default:
                throw new TahoeFormatException($"BSON type {value.BsonType} has no TAHOE JSON form");
        }
    }

    // Decimal128 only carries integers beyond 64 bits (see PyJsonReader.IntegerValue).
    private static bool IsIntegral(string digits) => digits.Length > 0 && digits.TrimStart('-').All(char.IsAsciiDigit);

    /// <summary>Python <c>repr(float)</c>: shortest round-trip digits, fixed notation for 1e-4 ≤ |x| &lt; 1e16.</summary>
    public static string FloatRepr(double x)
    {
        if (double.IsNaN(x)) return "NaN";
        if (double.IsPositiveInfinity(x)) return "Infinity";
        if (double.IsNegativeInfinity(x)) return "-Infinity";
        if (x == 0) return double.IsNegative(x) ? "-0.0" : "0.0";

        // "R" gives the shortest round-trip digits; re-derive digits and exponent from it.
        var shortest = x.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest.StartsWith('-');
        if (negative) shortest = shortest[1..];
        int exp = 0;
        var ePos = shortest.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            exp = int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            shortest = shortest[..ePos];
        }
        var dot = shortest.IndexOf('.');
        var intPart = dot >= 0 ? shortest[..dot] : shortest;
        var fracPart = dot >= 0 ? shortest[(dot + 1)..] : "";
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        // decpt: position of the decimal point relative to the first significant digit
        var decpt = intPart.Length - leadingZeros + exp;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";

        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        var sciExp = decpt - 1;
        if (sciExp >= -4 && sciExp < 16)
        {
            if (decpt <= 0)
            {
                sb.Append("0.").Append('0', -decpt).Append(digits);
            }
            else if (decpt >= digits.Length)
            {
                sb.Append(digits).Append('0', decpt - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, decpt).Append('.').Append(digits, decpt, digits.Length - decpt);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(sciExp < 0 ? '-' : '+').Append(Math.Abs(sciExp).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public static string DumpString(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        WriteString(sb, s);
        return sb.ToString();
    }

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7E)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Python <c>str.strip()</c>: removes every character for which <c>isspace()</c> is true.</summary>
    public static string PyStrip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPySpace(s[start])) start++;
        while (end > start && IsPySpace(s[end - 1])) end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    public static bool IsPySpace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,
        >= '\u001c' and <= ' ' => true,
        '\u0085' or '\u00a0' or '\u1680' or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' => true,
        >= '\u2000' and <= '\u200a' => true,
        _ => false,
    };
}

/// <summary>Orders strings by Unicode code point, as Python compares <c>str</c>.</summary>
public sealed class CodePointComparer : IComparer<string>
{
    public static readonly CodePointComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var n = Math.Min(x.Length, y.Length);
        for (var i = 0; i < n; i++)
        {
            var a = x[i];
            var b = y[i];
            if (a == b) continue;
            // Surrogates encode code points above every BMP character, but sort below U+E000..U+FFFF in UTF-16.
            if (char.IsSurrogate(a) != char.IsSurrogate(b)) return char.IsSurrogate(a) ? 1 : -1;
            return a.CompareTo(b);
        }
        return x.Length.CompareTo(y.Length);
    }
}
