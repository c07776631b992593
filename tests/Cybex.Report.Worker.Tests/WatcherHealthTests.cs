using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace Cybex.Report.Worker.Tests;

public class WatcherHealthTests
{
    private static readonly TimeSpan Stale = WatcherHealthCheck.StaleAfter(new WorkerOptions());

    [Fact]
    public void A_watcher_polling_with_nothing_expired_is_healthy_whatever_waits() =>
        Assert.Equal(HealthStatus.Healthy, WatcherHealthCheck.Judge(TimeSpan.FromSeconds(1), 0, backlog: 5000, expiredLeases: 0, Stale).Status);

    [Fact]
    public void Expired_leases_or_unannounced_claims_make_it_degraded()
    {
        Assert.Equal(HealthStatus.Degraded, WatcherHealthCheck.Judge(TimeSpan.FromSeconds(1), 0, 0, expiredLeases: 3, Stale).Status);
        Assert.Equal(HealthStatus.Degraded, WatcherHealthCheck.Judge(TimeSpan.FromSeconds(1), unannounced: 2, 0, 0, Stale).Status);
    }

    [Fact]
    public void A_watcher_whose_poll_has_stopped_succeeding_is_unhealthy()
    {
        var result = WatcherHealthCheck.Judge(Stale + TimeSpan.FromSeconds(1), 0, 0, 0, Stale);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("no successful poll", result.Description);
    }

    [Fact]
    public void Before_its_first_poll_it_is_degraded_not_unhealthy() =>
        Assert.Equal(HealthStatus.Degraded, WatcherHealthCheck.Judge(null, 0, 0, 0, Stale).Status);

    [Fact]
    public void The_stale_limit_outlasts_the_idle_poll_and_a_publish_timeout() =>
        Assert.True(WatcherHealthCheck.StaleAfter(new WorkerOptions { PollIdleMilliseconds = 10_000, PublishTimeoutSeconds = 10 }) >= TimeSpan.FromSeconds(100));
}
