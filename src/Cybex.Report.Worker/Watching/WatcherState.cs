using System.Diagnostics;

namespace Cybex.Report.Worker.Watching;

/// <summary>What the watcher last managed, for its health check: a poll loop that stops succeeding serves nobody.</summary>
public sealed class WatcherState
{
    private long _lastPoll;
    private int _unannounced;

    /// <summary>Time since the last poll that reached the database and the broker; null before the first.</summary>
    public TimeSpan? SinceLastPoll => Interlocked.Read(ref _lastPoll) is var t and not 0 ? Stopwatch.GetElapsedTime(t) : null;

    /// <summary>Claims made but not yet announced, because the broker refused them.</summary>
    public int Unannounced => Volatile.Read(ref _unannounced);

    public void Polled(int unannounced)
    {
        Interlocked.Exchange(ref _lastPoll, Stopwatch.GetTimestamp());
        Volatile.Write(ref _unannounced, unannounced);
    }
}
