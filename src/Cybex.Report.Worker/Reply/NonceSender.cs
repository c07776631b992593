using System.Net.Sockets;
using System.Text;
using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Reply;

/// <summary>A reply target the worker must not contact: it is logged and dropped, never retried.</summary>
public sealed class ReplyRefusedException(string message) : Exception(message);

/// <summary>
/// Sends the nonce to the API's listener as the original does (one TCP connection, the ASCII nonce, nothing
/// else), but with timeouts, a close, and only to configured API hosts so a forged TDQL cannot aim the worker
/// at another machine.
/// </summary>
public sealed class NonceSender(IOptions<ApiOptions> options)
{
    private static readonly HashSet<string> LocalNames = new(StringComparer.OrdinalIgnoreCase) { "0.0.0.0", "127.0.0.1", "localhost" };
    private readonly ApiOptions _options = options.Value;

    public (string Host, int Port) Target(TdqlSocket socket)
    {
        var host = LocalNames.Contains(socket.Host) ? _options.Host : socket.Host;
        var allowed = _options.AllowedHosts.Append(_options.Host).Contains(host, StringComparer.OrdinalIgnoreCase);
        if (!allowed) throw new ReplyRefusedException($"reply host '{host}' is not an allowed API host");
        if (socket.Port is < 1 or > 65535) throw new ReplyRefusedException($"reply port {socket.Port} is out of range");
        if (socket.Nonce.Length is 0 or > 64 || !socket.Nonce.All(char.IsAsciiLetterOrDigit))
        {
            throw new ReplyRefusedException("reply nonce is not 1 to 64 ASCII letters or digits");
        }
        return (host, socket.Port);
    }

    public async Task SendAsync(TdqlSocket socket, CancellationToken ct)
    {
        var (host, port) = Target(socket);
        using var client = new TcpClient();
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            connect.CancelAfter(_options.ConnectTimeoutMilliseconds);
            try
            {
                await client.ConnectAsync(host, port, connect.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"connecting to the API at {host}:{port} timed out");
            }
        }
        using var send = CancellationTokenSource.CreateLinkedTokenSource(ct);
        send.CancelAfter(_options.SendTimeoutMilliseconds);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(socket.Nonce), send.Token);
            await stream.FlushAsync(send.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"sending to the API at {host}:{port} timed out");
        }
        client.Client.Shutdown(SocketShutdown.Send);
    }
}
