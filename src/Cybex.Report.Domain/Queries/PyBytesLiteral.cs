using System.Globalization;
using System.Text;

namespace Cybex.Report.Domain.Queries;

/// <summary>
/// The Python <c>repr(bytes)</c> text the API stores as TDQL qdata. The original <c>eval</c>s it; this parser
/// accepts exactly the grammar CPython writes (D8) and nothing else.
/// </summary>
public static class PyBytesLiteral
{
    public const int MaxLiteralLength = 4 * 1024 * 1024;

    public static byte[] Parse(string literal)
    {
        ArgumentNullException.ThrowIfNull(literal);
        if (literal.Length > MaxLiteralLength) throw new QueryDecodeException($"qdata is longer than {MaxLiteralLength} characters");
        if (literal.Length < 3 || literal[0] != 'b' || literal[1] is not ('\'' or '"') || literal[^1] != literal[1])
        {
            throw new QueryDecodeException("qdata is not a Python bytes literal");
        }
        var quote = literal[1];
        var output = new List<byte>(literal.Length);
        var end = literal.Length - 1;
        for (var i = 2; i < end; i++)
        {
            var c = literal[i];
            if (c == '\\')
            {
                if (i + 1 >= end) throw new QueryDecodeException("qdata ends inside an escape");
                var e = literal[++i];
                switch (e)
                {
                    case '\\': output.Add((byte)'\\'); break;
                    case '\'': output.Add((byte)'\''); break;
                    case '"': output.Add((byte)'"'); break;
                    case 'n': output.Add((byte)'\n'); break;
                    case 'r': output.Add((byte)'\r'); break;
                    case 't': output.Add((byte)'\t'); break;
                    case 'x':
                        if (i + 2 >= end
                            || !byte.TryParse(literal.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                        {
                            throw new QueryDecodeException($"qdata has a bad \\x escape at {i - 1}");
                        }
                        output.Add(b);
                        i += 2;
                        break;
                    default:
                        throw new QueryDecodeException($"qdata has an unsupported escape '\\{e}' at {i - 1}");
                }
            }
            else if (c == quote)
            {
                throw new QueryDecodeException($"qdata has an unescaped quote at {i}");
            }
            else if (c is >= ' ' and <= '~')
            {
                output.Add((byte)c);
            }
            else
            {
                throw new QueryDecodeException($"qdata has a non-printable character at {i}");
            }
        }
        return output.ToArray();
    }

    /// <summary>CPython's <c>repr(bytes)</c>.</summary>
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        var quote = bytes.Contains((byte)'\'') && !bytes.Contains((byte)'"') ? '"' : '\'';
        var sb = new StringBuilder(bytes.Length * 2 + 3);
        sb.Append('b').Append(quote);
        foreach (var b in bytes)
        {
            if (b == quote || b == '\\') sb.Append('\\').Append((char)b);
            else if (b == '\t') sb.Append("\\t");
            else if (b == '\n') sb.Append("\\n");
            else if (b == '\r') sb.Append("\\r");
            else if (b < 0x20 || b >= 0x7F) sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }
        return sb.Append(quote).ToString();
    }
}
