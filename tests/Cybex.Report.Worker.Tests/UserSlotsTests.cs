using Cybex.Report.Worker.Reporting;
using Xunit;

namespace Cybex.Report.Worker.Tests;

public class UserSlotsTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_user_past_their_slots_waits_while_another_user_goes_straight_through()
    {
        var slots = new UserSlots(2);
        var first = (await slots.EnterAsync("alice", CancellationToken.None))!;
        using var second = await slots.EnterAsync("alice", CancellationToken.None);
        var third = slots.EnterAsync("alice", CancellationToken.None);

        using var lone = await slots.EnterAsync("carol", CancellationToken.None).WaitAsync(Soon);
        Assert.False(third.IsCompleted);

        first.Dispose();
        using var entered = await third.WaitAsync(Soon);
    }

    [Fact]
    public async Task A_slot_given_back_twice_frees_one_slot_only()
    {
        var slots = new UserSlots(1);
        var held = (await slots.EnterAsync("alice", CancellationToken.None))!;
        held.Dispose();
        held.Dispose();
        using var next = await slots.EnterAsync("alice", CancellationToken.None).WaitAsync(Soon);
        var after = slots.EnterAsync("alice", CancellationToken.None);
        await Task.Delay(50);
        Assert.False(after.IsCompleted);
    }

    [Fact]
    public async Task A_waiter_cancelled_gives_up_without_taking_a_slot_from_the_next()
    {
        var slots = new UserSlots(1);
        var held = (await slots.EnterAsync("alice", CancellationToken.None))!;
        using var cancel = new CancellationTokenSource();
        var gaveUp = slots.EnterAsync("alice", cancel.Token);
        var next = slots.EnterAsync("alice", CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);

        held.Dispose();
        using var entered = await next.WaitAsync(Soon);
    }

    [Fact]
    public async Task Without_a_limit_nobody_waits_for_anyone()
    {
        var slots = new UserSlots(null);
        for (var i = 0; i < 100; i++) Assert.Null(await slots.EnterAsync("alice", CancellationToken.None));
    }
}
