using NodaTime;

namespace Cybex.Report.Tahoe.Time;

/// <summary>
/// A report's time window. Both bounds are inclusive; a bound at the epoch (0) means "no bound", as in the
/// original's <c>dtresolve</c>, so <c>to="0"</c> lifts the upper bound.
/// </summary>
public readonly record struct TimeRange(Instant Start, Instant End)
{
    public bool HasStart => Start != NodaConstants.UnixEpoch;

    public bool HasEnd => End != NodaConstants.UnixEpoch;

    public double StartSeconds => TahoeTime.ToEpochSeconds(Start);

    public double EndSeconds => TahoeTime.ToEpochSeconds(End);

    public bool Contains(double timestamp) =>
        (!HasStart || timestamp >= StartSeconds) && (!HasEnd || timestamp <= EndSeconds);
}

/// <summary>Conversions at the TAHOE boundary, where times are epoch seconds stored as doubles.</summary>
public static class TahoeTime
{
    // Instant's range ends in the years -9998/9999; "inf" bounds from Python floats map onto those ends.
    public static double ToEpochSeconds(Instant instant)
    {
        if (instant == Instant.MaxValue) return double.PositiveInfinity;
        if (instant == Instant.MinValue) return double.NegativeInfinity;
        var ticks = instant.ToUnixTimeTicks();
        var seconds = Math.DivRem(ticks, NodaConstants.TicksPerSecond, out var rem);
        if (rem < 0)
        {
            seconds--;
            rem += NodaConstants.TicksPerSecond;
        }
        return seconds + rem / (double)NodaConstants.TicksPerSecond;
    }

    public static Instant FromEpochSeconds(double seconds)
    {
        if (double.IsNaN(seconds)) throw new ArgumentOutOfRangeException(nameof(seconds), "NaN is not a time");
        var maxSeconds = Instant.MaxValue.ToUnixTimeSeconds();
        var minSeconds = Instant.MinValue.ToUnixTimeSeconds();
        if (seconds >= maxSeconds) return Instant.MaxValue;
        if (seconds <= minSeconds) return Instant.MinValue;
        var whole = Math.Floor(seconds);
        var ticks = (long)Math.Round((seconds - whole) * NodaConstants.TicksPerSecond);
        return Instant.FromUnixTimeSeconds((long)whole).PlusTicks(ticks);
    }
}
