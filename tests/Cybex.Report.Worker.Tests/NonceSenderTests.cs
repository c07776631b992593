using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Replying;
using Xunit;

namespace Cybex.Report.Worker.Tests;

public class NonceSenderTests
{
    private static NonceSender Sender => new(Microsoft.Extensions.Options.Options.Create(new ApiOptions { Host = "cici-api", AllowedHosts = ["api-2"] }));

    private const string Nonce = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public void Local_socket_hosts_are_replaced_by_the_configured_api_host(string host) =>
        Assert.Equal(("cici-api", 45000), Sender.Target(new TdqlSocket(host, 45000, Nonce)));

    [Fact]
    public void Allowed_hosts_are_contacted_as_given() => Assert.Equal(("api-2", 32768), Sender.Target(new TdqlSocket("api-2", 32768, Nonce)));

    [Theory]
    [InlineData("203.0.113.9", 45000, Nonce)]
    [InlineData("0.0.0.0", 0, Nonce)]
    [InlineData("0.0.0.0", 70000, Nonce)]
    [InlineData("0.0.0.0", 22, Nonce)]
    [InlineData("0.0.0.0", 27017, Nonce)]
    [InlineData("0.0.0.0", 61000, Nonce)]
    [InlineData("0.0.0.0", 45000, "")]
    [InlineData("0.0.0.0", 45000, "nonce with spaces")]
    public void Forged_targets_are_refused(string host, int port, string nonce) =>
        Assert.Throws<ReplyRefusedException>(() => Sender.Target(new TdqlSocket(host, port, nonce)));

    [Fact]
    public void A_one_megabyte_nonce_is_refused() =>
        Assert.Throws<ReplyRefusedException>(() => Sender.Target(new TdqlSocket("0.0.0.0", 45000, new string('a', 1 << 20))));

    private static NonceSender Local(int attempts = 2) => new(Microsoft.Extensions.Options.Options.Create(
        new ApiOptions { Host = "127.0.0.1", ReplyAttempts = attempts, ReplyRetryMilliseconds = 100, ConnectTimeoutMilliseconds = 1000, SendTimeoutMilliseconds = 1000 }));

    private static int ClosedPort()
    {
        var (probe, port) = Listen();
        probe.Stop();
        return port;
    }

    private static (System.Net.Sockets.TcpListener Listener, int Port) Listen()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return (listener, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Fact]
    public async Task A_refused_connection_is_given_up_after_one_quick_second_try()
    {
        var started = DateTime.UtcNow;

        var delivery = await Local().SendAsync(new TdqlSocket("0.0.0.0", ClosedPort(), Nonce), CancellationToken.None);

        Assert.False(delivery.Delivered);
        Assert.Equal(2, delivery.Attempts);
        Assert.Contains("ConnectionRefused", delivery.Failure);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), $"took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task A_connection_reset_right_after_accept_is_reported_as_such_not_as_sent()
    {
        var (listener, port) = Listen();
        using var _ = listener;
        var resets = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                using var client = await listener.AcceptTcpClientAsync();
                // Linger 0: close sends a reset, as an API process that dies or aborts the connection does.
                client.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
                await Task.Delay(50);
                client.Client.Close();
            }
        });

        var delivery = await Local().SendAsync(new TdqlSocket("0.0.0.0", port, Nonce), CancellationToken.None);
        await resets;

        Assert.False(delivery.Delivered);
        Assert.Contains("reset", delivery.Failure);
    }

    [Fact]
    public async Task A_listening_api_gets_the_nonce_and_closing_counts_as_delivered()
    {
        var (listener, port) = Listen();
        using var _ = listener;
        var received = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var buffer = new byte[64];
            var n = await client.GetStream().ReadAsync(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        });

        var delivery = await Local().SendAsync(new TdqlSocket("0.0.0.0", port, Nonce), CancellationToken.None);

        Assert.True(delivery.Delivered);
        Assert.Equal(1, delivery.Attempts);
        Assert.Equal(Nonce, await received);
    }

    [Fact]
    public void A_forged_host_of_100_kilobytes_is_refused_with_a_short_message()
    {
        var e = Assert.Throws<ReplyRefusedException>(() => Sender.Target(new TdqlSocket(new string('h', 100_000), 45000, Nonce)));
        Assert.True(e.Message.Length < 200, $"{e.Message.Length} characters");
    }
}
