namespace Cybex.Report.Worker.Reporting;

/// <summary>
/// How many of one user's reports this process works on at once. The database serves commands in arrival order, so
/// every report of a flood at work puts its commands ahead of another user's: the rest of a user's claimed queries
/// wait here, before their hold, while anyone else's go straight through.
/// </summary>
public sealed class UserSlots(int? perUser)
{
    private readonly Lock _gate = new();
    // Only users with a report at work or waiting have an entry: a hostile stream of user hashes leaves nothing behind.
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>Waits for one of the user's slots; disposing the result gives it back. Null when there is no limit.</summary>
    public Task<IDisposable?> EnterAsync(string user, CancellationToken ct) => perUser is { } limit ? EnterAsync(user, limit, ct) : Task.FromResult<IDisposable?>(null);

    private async Task<IDisposable?> EnterAsync(string user, int limit, CancellationToken ct)
    {
        Slot slot;
        lock (_gate)
        {
            if (!_slots.TryGetValue(user, out slot!)) _slots[user] = slot = new Slot(new SemaphoreSlim(limit, limit));
            slot.Holders++;
        }
        try
        {
            await slot.Gate.WaitAsync(ct);
        }
        catch
        {
            Leave(user, slot, entered: false);
            throw;
        }
        return new Entered(this, user, slot);
    }

    private void Leave(string user, Slot slot, bool entered)
    {
        if (entered) slot.Gate.Release();
        lock (_gate)
        {
            if (--slot.Holders == 0) _slots.Remove(user);
        }
    }

    private sealed class Slot(SemaphoreSlim gate)
    {
        public SemaphoreSlim Gate { get; } = gate;

        public int Holders { get; set; }
    }

    private sealed class Entered(UserSlots slots, string user, Slot slot) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) slots.Leave(user, slot, entered: true);
        }
    }
}
