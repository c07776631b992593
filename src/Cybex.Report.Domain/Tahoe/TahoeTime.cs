using NodaTime;

namespace Cybex.Report.Domain.Tahoe;

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
