using Cybex.Report.Domain.Tahoe;
using NodaTime;

namespace Cybex.Report.Domain.Time;

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
