using Cybex.Report.Worker.Reporting;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Cybex.Report.Worker.Tests;

public class LeaseKeeperTests
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task A_hold_is_renewed_while_the_work_runs_and_never_after_it_ends()
    {
        var renewals = 0;
        var twice = new TaskCompletionSource();
        var keeper = new LeaseKeeper(_ => { if (Interlocked.Increment(ref renewals) == 2) twice.TrySetResult(); return Task.FromResult(true); }, Every, "lease", "t", NullLogger.Instance);

        await twice.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await keeper.DisposeAsync();
        var atEnd = Volatile.Read(ref renewals);
        await Task.Delay(Every * 5);

        Assert.Equal(atEnd, Volatile.Read(ref renewals));
    }

    [Fact]
    public async Task Work_that_ends_before_the_first_renewal_ends_its_keeper_at_once_and_quietly()
    {
        var renewals = 0;
        var keeper = new LeaseKeeper(_ => { Interlocked.Increment(ref renewals); return Task.FromResult(true); }, TimeSpan.FromMinutes(10), "lease", "t", NullLogger.Instance);

        await keeper.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, renewals);
    }

    [Fact]
    public async Task A_hold_found_lost_is_not_renewed_again()
    {
        var renewals = 0;
        var lost = new TaskCompletionSource();
        await using var keeper = new LeaseKeeper(_ => { Interlocked.Increment(ref renewals); lost.TrySetResult(); return Task.FromResult(false); }, Every, "lease", "t", NullLogger.Instance);

        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(Every * 5);

        Assert.Equal(1, Volatile.Read(ref renewals));
    }
}
