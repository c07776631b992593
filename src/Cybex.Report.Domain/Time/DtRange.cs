using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Tahoe;
using System.Numerics;
using Cybex.Report.Domain.Queries;
using NodaTime;
using NodaTime.TimeZones;

namespace Cybex.Report.Domain.Time;

/// <summary>The original's <c>get_dtrange(from, to, last, tzname)</c> over NodaTime (domain §4, deviation D4).</summary>
public sealed class DtRange(IClock clock)
{
    private static readonly Dictionary<string, long> UnitSeconds = BuildUnits();

    private static readonly Lazy<Dictionary<string, string>> ZoneIds = new(() =>
        DateTimeZoneProviders.Tzdb.Ids.ToDictionary(id => id.ToLowerInvariant(), id => id));

    public TimeRange Resolve(string? from, string? to, string? last, string? tzName)
    {
        var now = clock.GetCurrentInstant();
        var start = NodaConstants.UnixEpoch;
        var end = now;
        // Empty strings are falsy in Python and count as absent.
        if (!string.IsNullOrEmpty(last) && (!string.IsNullOrEmpty(from) || !string.IsNullOrEmpty(to)))
        {
            throw new InvalidParameterValueException("Don't specify both 'last' and 'from/to'!");
        }
        if (!string.IsNullOrEmpty(last)) start = Subtract(end, LastSeconds(last));
        var zone = DateTimeZone.Utc;
        if (!string.IsNullOrEmpty(tzName)) zone = ResolveZone(tzName) ?? throw new InvalidParameterValueException($"Invalid 'tzname'={tzName}!");
        if (!string.IsNullOrEmpty(from)) start = ParseBound(from, "from", zone, now);
        if (!string.IsNullOrEmpty(to)) end = ParseBound(to, "to", zone, now);
        return new TimeRange(start, end);
    }

    public static DateTimeZone? ResolveZone(string name) =>
        ZoneIds.Value.TryGetValue(name.ToLowerInvariant(), out var id) ? DateTimeZoneProviders.Tzdb[id] : null;

    private static BigInteger LastSeconds(string last)
    {
        var tokens = last.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string number, unit;
        if (tokens.Length == 2)
        {
            (number, unit) = (tokens[0], tokens[1]);
        }
        else
        {
            // The original takes the last character as the unit, so "678sec" is invalid and "5s" is not.
            number = last[..^1];
            unit = last[^1..];
        }
        if (!PyNumbers.TryParseInt(number, out var n) || !UnitSeconds.TryGetValue(unit, out var factor))
        {
            throw new InvalidParameterValueException($"Invalid 'last'={last}!");
        }
        return n * factor;
    }

    private static Instant Subtract(Instant end, BigInteger seconds)
    {
        var limit = new BigInteger(Instant.MaxValue.ToUnixTimeSeconds() - Instant.MinValue.ToUnixTimeSeconds());
        if (BigInteger.Abs(seconds) > limit) return seconds > 0 ? Instant.MinValue : Instant.MaxValue;
        var target = new BigInteger(end.ToUnixTimeSeconds()) - seconds;
        if (target > Instant.MaxValue.ToUnixTimeSeconds()) return Instant.MaxValue;
        if (target < Instant.MinValue.ToUnixTimeSeconds()) return Instant.MinValue;
        return end - Duration.FromSeconds((long)seconds);
    }

    private Instant ParseBound(string text, string name, DateTimeZone zone, Instant now)
    {
        // Epoch seconds first, as the original tries float() before the date parser; they ignore tzname.
        if (PyNumbers.TryParseFloat(text, out var epoch))
        {
            // NaN compares false with every timestamp in MongoDB; a clear error is kinder than an empty report.
            if (double.IsNaN(epoch)) throw new InvalidParameterValueException($"Invalid '{name}'={text}!");
            return TahoeTime.FromEpochSeconds(epoch);
        }
        var today = now.InZone(zone).Date;
        if (!DateText.TryParse(text, today, out var parsed)) throw new InvalidParameterValueException($"Invalid '{name}'={text}!");
        return parsed switch
        {
            DateText.Absolute a => a.Value,
            DateText.Local l => zone.ResolveLocal(l.Value, StandardOffsetResolver).ToInstant(),
            _ => throw new InvalidOperationException(),
        };
    }

    // pytz localize(is_dst=False): an ambiguous time takes the standard-time mapping, and a skipped time is
    // read with the standard offset that was in force before the gap.
    private static readonly ZoneLocalMappingResolver StandardOffsetResolver = mapping => mapping.Count switch
    {
        1 => mapping.Single(),
        2 => mapping.EarlyInterval.Savings == Offset.Zero && mapping.LateInterval.Savings != Offset.Zero ? mapping.First() : mapping.Last(),
        _ => new ZonedDateTime(
            mapping.LocalDateTime.InZoneStrictly(DateTimeZone.ForOffset(mapping.EarlyInterval.StandardOffset)).ToInstant(),
            mapping.Zone),
    };

    private static Dictionary<string, long> BuildUnits()
    {
        var units = new Dictionary<string, long>(StringComparer.Ordinal);
        void Add(long seconds, params string[] names)
        {
            foreach (var n in names) units[n] = seconds;
        }
        Add(1, "s", "sec", "second", "seconds");
        Add(60, "m", "min", "mins", "minute", "minutes");
        Add(3600, "h", "hr", "hrs", "hour", "hours");
        Add(86400, "d", "day", "days");
        Add(604800, "w", "week", "weeks");
        Add(2629800, "M", "month", "months");
        Add(31557600, "Y", "year", "years");
        return units;
    }
}
