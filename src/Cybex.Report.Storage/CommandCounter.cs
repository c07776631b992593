using System.Collections.Concurrent;
using MongoDB.Driver.Core.Configuration;
using MongoDB.Driver.Core.Events;

namespace Cybex.Report.Storage;

/// <summary>
/// Counts database commands per logical operation (one report, one claim) through the driver's command
/// events, and in total by role (which part of the worker issued them) and collection, so round trips can be
/// measured and reported instead of guessed.
/// </summary>
public sealed class CommandCounter
{
    private static readonly AsyncLocal<Scope?> Current = new();
    private readonly ConcurrentDictionary<(string Role, string Collection), long> _byRole = new();
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    /// <summary>Commands so far by role and collection (<c>database.collection</c>); commands outside a scope are "other".</summary>
    public IReadOnlyDictionary<(string Role, string Collection), long> ByRole => _byRole;

    public void Subscribe(ClusterBuilder builder) => builder.Subscribe<CommandStartedEvent>(OnStarted);

    private void OnStarted(CommandStartedEvent e)
    {
        // The driver's own handshakes and heartbeats are not the application's round trips.
        if (e.CommandName is "hello" or "isMaster" or "ismaster" or "buildInfo" or "saslStart" or "saslContinue" or "endSessions") return;
        Interlocked.Increment(ref _total);
        var scope = Current.Value;
        if (scope is not null) Interlocked.Increment(ref scope.Count);
        // The command's first element names its collection (find: "instance", update: "report_leases", ...).
        var collection = e.Command.ElementCount > 0 && e.Command.GetElement(0).Value.IsString ? e.Command.GetElement(0).Value.AsString : e.CommandName;
        _byRole.AddOrUpdate((scope?.Role ?? "other", $"{e.DatabaseNamespace.DatabaseName}.{collection}"), 1, (_, n) => n + 1);
    }

    /// <summary>Starts counting the commands issued by this async flow until the scope is disposed.</summary>
    /// <param name="role">Who issues them (watcher, report, reply, query); a nested scope without one keeps its parent's.</param>
    public static Scope Begin(string? role = null)
    {
        var parent = Current.Value;
        var scope = new Scope(parent, role ?? parent?.Role);
        Current.Value = scope;
        return scope;
    }

    public sealed class Scope : IDisposable
    {
        private readonly Scope? _parent;
        internal long Count;

        internal Scope(Scope? parent, string? role)
        {
            _parent = parent;
            Role = role;
        }

        public string? Role { get; }

        public long Commands => Interlocked.Read(ref Count);

        public void Dispose()
        {
            if (_parent is not null) Interlocked.Add(ref _parent.Count, Commands);
            Current.Value = _parent;
        }
    }
}
