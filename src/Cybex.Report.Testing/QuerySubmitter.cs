using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>
/// Does what the CYBEX-P API does for POST /query (domain §2.1): canonical qdata, qhash, encryption with the
/// public key, the Python bytes literal, a TDQL in the original shape with status <c>wait</c>, and a TCP
/// listener that waits for the nonce. Used by the CLI, replay and the integration tests.
/// </summary>
public sealed class QuerySubmitter(TdqlStore store, QueryCipher? publicKey, IClock clock)
{
    public async Task<PendingQuery> SubmitAsync(string qtype, BsonValue qdata, string userId, CancellationToken ct) =>
        await SubmitTextAsync(qtype, Canonical.Of(qdata), userId, ct);

    /// <summary>Submits qdata text exactly as given (a fixture's <c>qdata_text</c> may be plain JSON).</summary>
    /// <param name="tamper">Alters the stored blob, to replay the original's tampered-ciphertext queries.</param>
    public async Task<PendingQuery> SubmitTextAsync(string qtype, string qdataText, string userId, CancellationToken ct, Func<byte[], byte[]>? tamper = null)
    {
        var prepared = Prepare(qtype, qdataText, userId, tamper);
        try
        {
            await store.InsertTdqlAsync(prepared.Tdql, prepared.Children, ct);
        }
        catch
        {
            prepared.Pending.Dispose();
            throw;
        }
        return prepared.Pending;
    }

    /// <summary>The TDQL and its children of one query, and its listener, not yet written (bench writes them as the API does).</summary>
    public PreparedQuery Prepare(string qtype, BsonValue qdata, string userId) => Prepare(qtype, Canonical.Of(qdata), userId, null);

    /// <summary>As above for qdata text exactly as given.</summary>
    public PreparedQuery Prepare(string qtype, string qdataText, string userId, Func<byte[], byte[]>? tamper = null)
    {
        var plain = Encoding.UTF8.GetBytes(qdataText);
        var qhash = Canonical.Sha256Hex(plain);
        var encrypted = publicKey is not null;
        var blob = encrypted ? publicKey!.Encrypt(plain) : plain;
        var literal = PyBytesLiteral.Format(tamper is null ? blob : tamper(blob));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var now = TahoeTime.ToEpochSeconds(clock.GetCurrentInstant());
        // The API binds all interfaces, so getsockname() reports 0.0.0.0; the worker maps it to its API host.
        var (tdql, children) = TdqlDocuments.Build(qtype, qhash, literal, userId, now, encrypted, Tdql.StatusWait, new TdqlSocket("0.0.0.0", port, nonce));
        return new PreparedQuery(new PendingQuery(tdql["_hash"].AsString, listener, nonce, DateTimeOffset.UtcNow), tdql, children);
    }
}

/// <summary>A query ready to be written: its TDQL, the TDQL's children, and the listener waiting for its nonce.</summary>
public sealed record PreparedQuery(PendingQuery Pending, BsonDocument Tdql, IReadOnlyList<BsonDocument> Children);

/// <summary>A submitted query whose nonce has not arrived yet. Dispose stops its listener.</summary>
public sealed class PendingQuery(string tdqlHash, TcpListener listener, string nonce, DateTimeOffset submittedAt) : IDisposable
{
    private TcpListener _listener = listener;
    private readonly int _port = ((IPEndPoint)listener.LocalEndpoint).Port;

    public string TdqlHash { get; } = tdqlHash;

    public DateTimeOffset SubmittedAt { get; } = submittedAt;

    /// <summary>How many connections brought the right nonce (more than one is a duplicate answer).</summary>
    public int NoncesReceived { get; private set; }

    /// <summary>Waits for the nonce like the API's accept loop; other payloads are ignored.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(cts.Token);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    // The listener is down on purpose (StopListening); wait for it to come back.
                    await Task.Delay(50, cts.Token);
                    continue;
                }
                using var _ = client;
                var buffer = new byte[64];
                var read = 0;
                var stream = client.GetStream();
                int n;
                while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cts.Token)) > 0) read += n;
                if (Encoding.ASCII.GetString(buffer, 0, read) == nonce)
                {
                    NoncesReceived++;
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Counts further deliveries of the nonce during a grace period (duplicate detection in tests).</summary>
    public async Task DrainAsync(TimeSpan period, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + period;
        while (DateTimeOffset.UtcNow < deadline && await WaitAsync(deadline - DateTimeOffset.UtcNow, ct))
        {
        }
    }

    /// <summary>Takes the listener down, as an API that is briefly unavailable (connections are refused).</summary>
    public void StopListening() => _listener.Stop();

    /// <summary>Listens again on the same port.</summary>
    public void StartListening()
    {
        _listener = new TcpListener(IPAddress.Loopback, _port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
    }

    public void Dispose() => _listener.Stop();
}
