using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Reply;
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
        Assert.Equal(("cici-api", 5000), Sender.Target(new TdqlSocket(host, 5000, Nonce)));

    [Fact]
    public void Allowed_hosts_are_contacted_as_given() => Assert.Equal(("api-2", 1), Sender.Target(new TdqlSocket("api-2", 1, Nonce)));

    [Theory]
    [InlineData("203.0.113.9", 5000, Nonce)]
    [InlineData("0.0.0.0", 0, Nonce)]
    [InlineData("0.0.0.0", 70000, Nonce)]
    [InlineData("0.0.0.0", 5000, "")]
    [InlineData("0.0.0.0", 5000, "nonce with spaces")]
    public void Forged_targets_are_refused(string host, int port, string nonce) =>
        Assert.Throws<ReplyRefusedException>(() => Sender.Target(new TdqlSocket(host, port, nonce)));

    [Fact]
    public void A_one_megabyte_nonce_is_refused() =>
        Assert.Throws<ReplyRefusedException>(() => Sender.Target(new TdqlSocket("0.0.0.0", 5000, new string('a', 1 << 20))));
}
