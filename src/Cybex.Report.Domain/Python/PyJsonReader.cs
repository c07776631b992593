using System.Globalization;
using System.Numerics;
using System.Text;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Python;

/// <summary>
/// A JSON reader with Python <c>json.loads</c> semantics: integers and floats stay distinct, <c>NaN</c> and
/// <c>Infinity</c> are accepted, a repeated key keeps its last value. Nesting is bounded so hostile input
/// cannot exhaust the stack.
/// </summary>
public sealed class PyJsonReader
{
    public const int DefaultMaxDepth = 64;
    private readonly string _text;
    private readonly int _maxDepth;
    private int _pos;

    private PyJsonReader(string text, int maxDepth)
    {
        _text = text;
        _maxDepth = maxDepth;
    }

    public static BsonValue Parse(string text, int maxDepth = DefaultMaxDepth)
    {
        var reader = new PyJsonReader(text, maxDepth);
        reader.SkipWhitespace();
        var value = reader.ReadValue(0);
        reader.SkipWhitespace();
        if (reader._pos != text.Length) throw reader.Error("Extra data");
        return value;
    }

    public static bool TryParse(string text, out BsonValue value, int maxDepth = DefaultMaxDepth)
    {
        try
        {
            value = Parse(text, maxDepth);
            return true;
        }
        catch (TahoeFormatException)
        {
            value = BsonNull.Value;
            return false;
        }
    }

    private TahoeFormatException Error(string what) => new($"invalid JSON: {what} at char {_pos}");

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r') _pos++;
    }

    private BsonValue ReadValue(int depth)
    {
        if (_pos >= _text.Length) throw Error("Expecting value");
        var c = _text[_pos];
        switch (c)
        {
            case '{': return ReadObject(depth + 1);
            case '[': return ReadArray(depth + 1);
            case '"': return new BsonString(ReadString());
        }
        if (Match("null")) return BsonNull.Value;
        if (Match("true")) return BsonBoolean.True;
        if (Match("false")) return BsonBoolean.False;
        if (Match("NaN")) return new BsonDouble(double.NaN);
        if (Match("Infinity")) return new BsonDouble(double.PositiveInfinity);
        if (Match("-Infinity")) return new BsonDouble(double.NegativeInfinity);
        if (c == '-' || char.IsAsciiDigit(c)) return ReadNumber();
        throw Error("Expecting value");
    }

    private bool Match(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) return false;
        _pos += word.Length;
        return true;
    }

    private BsonDocument ReadObject(int depth)
    {
        if (depth > _maxDepth) throw Error($"nesting deeper than {_maxDepth}");
        _pos++;
        var doc = new BsonDocument();
        SkipWhitespace();
        if (_pos < _text.Length && _text[_pos] == '}')
        {
            _pos++;
            return doc;
        }
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _text.Length || _text[_pos] != '"') throw Error("Expecting property name enclosed in double quotes");
            var key = ReadString();
            SkipWhitespace();
            if (_pos >= _text.Length || _text[_pos] != ':') throw Error("Expecting ':' delimiter");
            _pos++;
            SkipWhitespace();
            doc[key] = ReadValue(depth);
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error("Expecting ',' delimiter");
            if (_text[_pos] == ',') { _pos++; continue; }
            if (_text[_pos] == '}') { _pos++; return doc; }
            throw Error("Expecting ',' delimiter");
        }
    }

    private BsonArray ReadArray(int depth)
    {
        if (depth > _maxDepth) throw Error($"nesting deeper than {_maxDepth}");
        _pos++;
        var array = new BsonArray();
        SkipWhitespace();
        if (_pos < _text.Length && _text[_pos] == ']')
        {
            _pos++;
            return array;
        }
        while (true)
        {
            SkipWhitespace();
            array.Add(ReadValue(depth));
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error("Expecting ',' delimiter");
            if (_text[_pos] == ',') { _pos++; continue; }
            if (_text[_pos] == ']') { _pos++; return array; }
            throw Error("Expecting ',' delimiter");
        }
    }

    private string ReadString()
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error("Unterminated string");
            var c = _text[_pos++];
            if (c == '"') return sb.ToString();
            if (c < 0x20) throw Error("Invalid control character");
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_pos >= _text.Length) throw Error("Unterminated string");
            var e = _text[_pos++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_pos + 4 > _text.Length
                        || !ushort.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw Error("Invalid \\uXXXX escape");
                    }
                    sb.Append((char)code);
                    _pos += 4;
                    break;
                default: throw Error("Invalid \\escape");
            }
        }
    }

    private BsonValue ReadNumber()
    {
        var start = _pos;
        if (_text[_pos] == '-') _pos++;
        if (_pos >= _text.Length || !char.IsAsciiDigit(_text[_pos])) throw Error("Expecting value");
        if (_text[_pos] == '0') _pos++;
        else while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        var isFloat = false;
        if (_pos + 1 < _text.Length && _text[_pos] == '.' && char.IsAsciiDigit(_text[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        }
        if (_pos < _text.Length && _text[_pos] is 'e' or 'E')
        {
            var save = _pos;
            _pos++;
            if (_pos < _text.Length && _text[_pos] is '+' or '-') _pos++;
            if (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                isFloat = true;
                while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
            }
            else
            {
                _pos = save;
            }
        }
        var token = _text.AsSpan(start, _pos - start);
        if (isFloat) return new BsonDouble(double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture));
        return IntegerValue(BigInteger.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
    }

    /// <summary>The narrowest BSON integer for a Python int; beyond 64 bits an exact Decimal128 keeps its digits.</summary>
    public static BsonValue IntegerValue(BigInteger value)
    {
        if (value >= int.MinValue && value <= int.MaxValue) return new BsonInt32((int)value);
        if (value >= long.MinValue && value <= long.MaxValue) return new BsonInt64((long)value);
        if (BigInteger.Abs(value) < BigInteger.Pow(10, 34)) return new BsonDecimal128(Decimal128.Parse(value.ToString(CultureInfo.InvariantCulture)));
        throw new TahoeFormatException("integer too large");
    }
}
