using System.Net.Sockets;
using System.Text;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Replying;

/// <summary>A reply target the worker must not contact: it is logged and dropped, never retried.</summary>
public sealed class ReplyRefusedException(string message) : Exception(message);

/// <summary>How a reply went: delivered, or why not after how many connections.</summary>
public sealed record ReplyDelivery(bool Delivered, int Attempts, string? Failure);

/// <summary>
/// Sends the nonce to the API's listener as the original does (one TCP connection, the ASCII nonce, nothing
/// else), but with timeouts, a close, and only to configured API hosts so a forged TDQL cannot aim the worker
/// at another machine or another service of the API's (only the API's ephemeral port range). The API listens for 5 s only: a refused, reset or silent connection gets one quick
/// second try (<c>Api:ReplyAttempts</c>), then the reply is given up, never queued for minutes.
/// </summary>
public sealed class NonceSender(IOptions<ApiOptions> options)
{
    private static readonly HashSet<string> LocalNames = new(StringComparer.OrdinalIgnoreCase) { "0.0.0.0", "127.0.0.1", "localhost" };
    private readonly ApiOptions _options = options.Value;

    /// <summary>
    /// How long a reply consumer's take holds a reply without renewal (it renews a third of this while it sends):
    /// after a sender's process dies, its redelivered completion is sent this soon, inside the API's 5 s wait.
    /// </summary>
    public NodaTime.Duration SendingHold => NodaTime.Duration.FromMilliseconds(1500);

    public (string Host, int Port) Target(TdqlSocket socket)
    {
        var host = LocalNames.Contains(socket.Host) ? _options.Host : socket.Host;
        var allowed = _options.AllowedHosts.Append(_options.Host).Contains(host, StringComparer.OrdinalIgnoreCase);
        if (!allowed) throw new ReplyRefusedException($"reply host '{Shorten(host)}' is not an allowed API host");
        if (socket.Port < _options.ReplyPortMin || socket.Port > _options.ReplyPortMax)
        {
            throw new ReplyRefusedException($"reply port {socket.Port} is outside the allowed range {_options.ReplyPortMin}-{_options.ReplyPortMax} (Api:ReplyPortMin/Max)");
        }
        if (socket.Nonce.Length is 0 or > 64 || !socket.Nonce.All(char.IsAsciiLetterOrDigit))
        {
            throw new ReplyRefusedException("reply nonce is not 1 to 64 ASCII letters or digits");
        }
        return (host, socket.Port);
    }

    /// <summary>A host as a log line may show it: a forged TDQL's 100 KB host must not become a 100 KB line.</summary>
    public static string Shorten(string host) => TextLimits.Shorten(host, 64);

    public async Task<ReplyDelivery> SendAsync(TdqlSocket socket, CancellationToken ct)
    {
        var (host, port) = Target(socket);
        var payload = Encoding.ASCII.GetBytes(socket.Nonce);
        string? failure = null;
        for (var attempt = 1; attempt <= _options.ReplyAttempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(_options.ReplyRetryMilliseconds, ct);
            failure = await TryOnceAsync(host, port, payload, ct);
            if (failure is null) return new ReplyDelivery(true, attempt, null);
        }
        return new ReplyDelivery(false, _options.ReplyAttempts, failure);
    }

    /// <summary>One connection: null when the nonce went out and the API closed (or kept) the connection, else what happened.</summary>
    private async Task<string?> TryOnceAsync(string host, int port, byte[] payload, CancellationToken ct)
    {
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
                return $"connecting to {Shorten(host)}:{port} timed out after {_options.ConnectTimeoutMilliseconds} ms";
            }
            catch (SocketException e)
            {
                return $"connecting to {Shorten(host)}:{port} failed: {e.SocketErrorCode}";
            }
        }
        using var send = CancellationTokenSource.CreateLinkedTokenSource(ct);
        send.CancelAfter(_options.SendTimeoutMilliseconds);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(payload, send.Token);
            await stream.FlushAsync(send.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            // A write succeeds into the local buffer even when the API has already reset the connection: only its
            // close (or its reset) tells whether the nonce was taken.
            var buffer = new byte[64];
            while (await stream.ReadAsync(buffer, send.Token) > 0)
            {
            }
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The nonce is out and the connection open: the API has it or is still reading it.
            return null;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            var code = (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode;
            return code == SocketError.ConnectionReset
                ? $"the connection to {Shorten(host)}:{port} was reset by the API after it was accepted"
                : $"sending to {Shorten(host)}:{port} failed: {code?.ToString() ?? e.GetType().Name}";
        }
    }
}
