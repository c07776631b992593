using MongoDB.Driver.Core.Configuration;
using MongoDB.Driver.Core.Events;

namespace Cybex.Report.Storage;

/// <summary>
/// Counts database commands per logical operation (one report, one claim) through the driver's command
/// events, so round trips can be measured and reported instead of guessed.
/// </summary>
public sealed class CommandCounter
{
    private static readonly AsyncLocal<Scope?> Current = new();
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public void Subscribe(ClusterBuilder builder) => builder.Subscribe<CommandStartedEvent>(OnStarted);

    private void OnStarted(CommandStartedEvent e)
    {
        // The driver's own handshakes and heartbeats are not the application's round trips.
        if (e.CommandName is "hello" or "isMaster" or "ismaster" or "buildInfo" or "saslStart" or "saslContinue" or "endSessions") return;
        Interlocked.Increment(ref _total);
        if (Current.Value is { } scope) Interlocked.Increment(ref scope.Count);
    }

    /// <summary>Starts counting the commands issued by this async flow until the scope is disposed.</summary>
    public static Scope Begin()
    {
        var scope = new Scope(Current.Value);
        Current.Value = scope;
        return scope;
    }

    public sealed class Scope : IDisposable
    {
        private readonly Scope? _parent;
        internal long Count;

        internal Scope(Scope? parent) => _parent = parent;

        public long Commands => Interlocked.Read(ref Count);

        public void Dispose()
        {
            if (_parent is not null) Interlocked.Add(ref _parent.Count, Commands);
            Current.Value = _parent;
        }
    }
}
