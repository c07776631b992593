using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>A clock that stands still until a test moves it on: a minute of quota passes in no time.</summary>
public sealed class ManualClock(Instant start) : IClock
{
    private long _offsetTicks;

    public Instant GetCurrentInstant() => start + Duration.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(Duration by) => Interlocked.Add(ref _offsetTicks, by.BclCompatibleTicks);
}
