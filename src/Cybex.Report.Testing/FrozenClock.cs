using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>A clock that always says the same instant: replays of recorded fixtures run at their recorded "now".</summary>
public sealed class FrozenClock(Instant now) : IClock
{
    public Instant GetCurrentInstant() => now;
}
