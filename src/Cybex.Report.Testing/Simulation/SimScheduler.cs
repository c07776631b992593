namespace Cybex.Report.Testing.Simulation;

/// <summary>
/// Runs many asynchronous actors on one thread, one step at a time, in an order drawn from a seeded random source:
/// every store operation of an actor waits at a gate, and the scheduler opens one gate per step. The operation runs
/// atomically right after its gate opens, so a schedule is the order of the gates; the same seed gives the same
/// schedule. A killed actor's gate is never opened again: it dies before its next operation.
/// </summary>
public sealed class SimScheduler(Random random)
{
    private readonly List<(SimActor Actor, TaskCompletionSource Gate)> _waiting = [];
    private static readonly AsyncLocal<SimActor?> Running = new();

    public Random Random => random;

    /// <summary>The actor whose step is running (null outside any actor).</summary>
    public static SimActor? Current => Running.Value;

    /// <summary>Starts an actor; it runs until its first gate right away.</summary>
    public SimActor Spawn(string name, Func<SimActor, Task> body)
    {
        var actor = new SimActor(name);
        var previous = Running.Value;
        Running.Value = actor;
        try
        {
            actor.Task = body(actor);
        }
        finally
        {
            Running.Value = previous;
        }
        return actor;
    }

    /// <summary>Where an actor waits for its next step.</summary>
    public Task Gate()
    {
        var actor = Running.Value ?? throw new InvalidOperationException("a gate outside any actor");
        // Continuations run inline when the scheduler opens the gate: the step ends at the actor's next gate.
        var gate = new TaskCompletionSource();
        _waiting.Add((actor, gate));
        return gate.Task;
    }

    /// <summary>Opens one gate of a live actor, drawn at random; false when no actor waits.</summary>
    public bool Step()
    {
        _waiting.RemoveAll(w => w.Actor.Killed);
        if (_waiting.Count == 0) return false;
        var n = random.Next(_waiting.Count);
        var (actor, gate) = _waiting[n];
        _waiting.RemoveAt(n);
        var previous = Running.Value;
        Running.Value = actor;
        try
        {
            gate.SetResult();
        }
        finally
        {
            Running.Value = previous;
        }
        if (actor.Task is { IsFaulted: true } t) throw new InvalidOperationException($"actor {actor.Name} failed", t.Exception!.GetBaseException());
        return true;
    }
}

/// <summary>One actor of a simulation: a watcher, a consumer or the API.</summary>
public sealed class SimActor(string name)
{
    public string Name { get; } = name;

    public bool Killed { get; private set; }

    public Task? Task { get; internal set; }

    /// <summary>The claim this actor works under right now, so the store can say who wrote what.</summary>
    public Guid? Claim { get; set; }

    public void Kill() => Killed = true;

    public override string ToString() => Name;
}
