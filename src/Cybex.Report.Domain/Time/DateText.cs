using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;

namespace Cybex.Report.Domain.Time;

/// <summary>
/// The documented subset of <c>dateutil.parser.parse</c> that report queries use: ISO and slash dates
/// (month first), month names, 12- and 24-hour clock times with fractions. Missing date parts come from
/// "today". A trailing <c>Z</c> or offset makes the text an absolute instant (D4).
/// </summary>
public static partial class DateText
{
    public abstract record Parsed;

    public sealed record Local(LocalDateTime Value) : Parsed;

    public sealed record Absolute(Instant Value) : Parsed;

    private static readonly string[] MonthNames =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] DayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    [GeneratedRegex(@"(?<![\d])(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*([ap])\.?m\.?\b)?", RegexOptions.IgnoreCase)]
    private static partial Regex ClockTime();

    [GeneratedRegex(@"(?<![\d:])(\d{1,2})\s*([ap])\.?m\.?\b", RegexOptions.IgnoreCase)]
    private static partial Regex HourOnly();

    [GeneratedRegex(@"\s*(?:z|utc|gmt|([+-])(\d{2}):?(\d{2})?)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex OffsetSuffix();

    [GeneratedRegex(@"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")]
    private static partial Regex YearFirst();

    [GeneratedRegex(@"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$")]
    private static partial Regex MonthFirst();

    [GeneratedRegex(@"^(\d{4})(\d{2})(\d{2})$")]
    private static partial Regex Compact();

    [GeneratedRegex(@"(?<=\d)t(?=\d)")]
    private static partial Regex IsoT();

    public static bool TryParse(string text, LocalDate today, out Parsed? result)
    {
        result = null;
        var s = IsoT().Replace(text.Trim().ToLowerInvariant(), " ");
        Offset? offset = null;
        var off = OffsetSuffix().Match(s);
        // Only a suffix after a clock time is an offset; "2021-01-02" must not read "-02" as one.
        if (off.Success && ClockTime().IsMatch(s[..off.Index]))
        {
            if (off.Groups[1].Success)
            {
                var hours = int.Parse(off.Groups[2].Value, CultureInfo.InvariantCulture);
                var minutes = off.Groups[3].Success ? int.Parse(off.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
                var total = hours * 3600 + minutes * 60;
                if (hours > 23 || minutes > 59) return false;
                offset = Offset.FromSeconds(off.Groups[1].Value == "-" ? -total : total);
            }
            else
            {
                offset = Offset.Zero;
            }
            s = s[..off.Index];
        }

        var time = LocalTime.Midnight;
        var clock = ClockTime().Match(s);
        if (clock.Success)
        {
            if (!TryTime(clock, out time)) return false;
            s = s.Remove(clock.Index, clock.Length);
        }
        else
        {
            var hourOnly = HourOnly().Match(s);
            if (hourOnly.Success)
            {
                var hour = int.Parse(hourOnly.Groups[1].Value, CultureInfo.InvariantCulture);
                if (!TryHour12(hour, hourOnly.Groups[2].Value, out var h24)) return false;
                time = new LocalTime(h24, 0);
                s = s.Remove(hourOnly.Index, hourOnly.Length);
            }
        }

        if (!TryDate(s.Trim(' ', ',', '\t'), today, out var date)) return false;
        var local = date + time;
        result = offset is { } o ? new Absolute(local.InZoneStrictly(DateTimeZone.ForOffset(o)).ToInstant()) : new Local(local);
        return true;
    }

    private static bool TryTime(Match m, out LocalTime time)
    {
        time = default;
        var hour = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var minute = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var second = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        var fraction = m.Groups[4].Success ? m.Groups[4].Value : "";
        if (m.Groups[5].Success && !TryHour12(hour, m.Groups[5].Value, out hour)) return false;
        if (hour > 23 || minute > 59 || second > 59) return false;
        // dateutil keeps microseconds: further digits are truncated.
        var micros = fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(6, '0')[..6], CultureInfo.InvariantCulture);
        time = new LocalTime(hour, minute, second).PlusTicks(micros * 10L);
        return true;
    }

    private static bool TryHour12(int hour, string meridiem, out int hour24)
    {
        hour24 = hour;
        if (hour is < 1 or > 12) return false;
        hour24 = hour % 12 + (meridiem == "p" ? 12 : 0);
        return true;
    }

    private static bool TryDate(string s, LocalDate today, out LocalDate date)
    {
        date = today;
        if (s.Length == 0) return true;
        Match m;
        if ((m = YearFirst().Match(s)).Success) return TryMake(Num(m, 1), Num(m, 3), Num(m, 4), out date);
        if ((m = MonthFirst().Match(s)).Success) return TryMake(Year(Num(m, 4), m.Groups[4].Length), Num(m, 1), Num(m, 3), out date);
        if ((m = Compact().Match(s)).Success) return TryMake(Num(m, 1), Num(m, 2), Num(m, 3), out date);
        return TryWords(s, today, out date);
    }

    // "May 21 2020", "21 May, 2020", "March 3" (year from today), "Friday, March 5 2021".
    private static bool TryWords(string s, LocalDate today, out LocalDate date)
    {
        date = today;
        int? month = null, day = null, year = null;
        foreach (var token in s.Split([' ', ',', '-', '/', '.'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.All(char.IsAsciiLetter))
            {
                var name = MonthIndex(token);
                if (name is { } mi && month is null) month = mi;
                else if (!DayNames.Any(d => d == token || (token.Length >= 3 && d.StartsWith(token, StringComparison.Ordinal)))
                         && token is not ("of" or "at" or "on" or "the")) return false;
                continue;
            }
            var stripped = token.EndsWith("st") || token.EndsWith("nd") || token.EndsWith("rd") || token.EndsWith("th") ? token[..^2] : token;
            if (!stripped.All(char.IsAsciiDigit) || stripped.Length == 0) return false;
            var n = int.Parse(stripped, CultureInfo.InvariantCulture);
            if (stripped.Length >= 3 || (day is not null && year is null) || n > 31) year ??= Year(n, stripped.Length);
            else if (day is null) day = n;
            else return false;
        }
        if (month is null) return false;
        return TryMake(year ?? today.Year, month.Value, day ?? today.Day, out date);
    }

    private static int? MonthIndex(string token)
    {
        if (token.Length < 3) return null;
        for (var i = 0; i < MonthNames.Length; i++)
        {
            if (MonthNames[i].StartsWith(token, StringComparison.Ordinal) || (token == "sept" && i == 8)) return i + 1;
        }
        return null;
    }

    // dateutil's century rule for two-digit years, simplified: within 50 years of now.
    private static int Year(int value, int digits) => digits <= 2 ? (value < 50 ? 2000 + value : 1900 + value) : value;

    private static int Num(Match m, int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static bool TryMake(int year, int month, int day, out LocalDate date)
    {
        date = default;
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > CalendarSystem.Iso.GetDaysInMonth(year, month)) return false;
        date = new LocalDate(year, month, day);
        return true;
    }
}
