using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Cybex.Report.Domain.Python;

/// <summary>Python's lenient <c>float(str)</c> and <c>int(str)</c>, which the original applies to user text.</summary>
public static partial class PyNumbers
{
    [GeneratedRegex(@"^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^[+-]?\d(?:_?\d)*$")]
    private static partial Regex IntPattern();

    public static bool TryParseFloat(string text, out double value)
    {
        var s = PyJson.PyStrip(text);
        var lower = s.ToLowerInvariant();
        var unsigned = lower.TrimStart('+', '-');
        if (unsigned.Length == lower.Length - 1 || unsigned.Length == lower.Length)
        {
            var negative = lower.StartsWith('-');
            if (unsigned is "inf" or "infinity")
            {
                value = negative ? double.NegativeInfinity : double.PositiveInfinity;
                return true;
            }
            if (unsigned == "nan")
            {
                value = double.NaN;
                return true;
            }
        }
        if (!FloatPattern().IsMatch(s))
        {
            value = 0;
            return false;
        }
        return double.TryParse(s.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseInt(string text, out BigInteger value)
    {
        var s = PyJson.PyStrip(text);
        if (!IntPattern().IsMatch(s))
        {
            value = BigInteger.Zero;
            return false;
        }
        return BigInteger.TryParse(s.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
