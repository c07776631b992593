using Cybex.Report.Worker.Querying;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>Which reply endpoints a bus response may go to, asked of the broker once and remembered.</summary>
public class ReplyTargetsTests
{
    [Fact]
    public async Task A_reply_target_is_checked_once_and_remembered()
    {
        var probe = new CountingProbe();
        var targets = new ReplyTargets(Microsoft.Extensions.Options.Options.Create(new Options.BusOptions { EndpointPrefix = "p-" }), probe);
        var input = new Uri("rabbitmq://127.0.0.1:5672/p-submit-report-query");

        Assert.Null(await targets.ResolveAsync(new Uri("rabbitmq://127.0.0.1:5672/gone?temporary=true"), input, default));
        Assert.NotNull(await targets.ResolveAsync(new Uri("rabbitmq://127.0.0.1:5672/client-1?temporary=true"), input, default));
        Assert.NotNull(await targets.ResolveAsync(new Uri("rabbitmq://127.0.0.1:5672/client-1?temporary=true"), input, default));
        Assert.Null(await targets.ResolveAsync(new Uri("rabbitmq://127.0.0.1:5672/p-report-reply"), input, default));

        Assert.Equal(["gone", "client-1"], probe.Asked);
    }

    private sealed class CountingProbe : Health.IQueueConsumerProbe
    {
        public List<string> Asked { get; } = [];

        public Task<uint?> ConsumersAsync(string queue, CancellationToken ct) => Task.FromResult<uint?>(1);

        public Task<bool?> ExchangeExistsAsync(string exchange, CancellationToken ct)
        {
            Asked.Add(exchange);
            return Task.FromResult<bool?>(exchange != "gone");
        }

        public Task<bool?> RoutesAsync(string exchange, CancellationToken ct) => Task.FromResult<bool?>(true);
    }
}
