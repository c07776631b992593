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
        var listener = PendingQuery.Bind(0, listen: true);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
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
public sealed class PendingQuery(string tdqlHash, Socket listener, string nonce, DateTimeOffset submittedAt) : IDisposable
{
    private Socket _listener = listener;
    private Socket? _parked;
    private readonly int _port = ((IPEndPoint)listener.LocalEndPoint!).Port;

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
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(cts.Token);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    // The listener is down on purpose (StopListening); wait for it to come back.
                    await Task.Delay(50, cts.Token);
                    continue;
                }
                await using var stream = new NetworkStream(client, ownsSocket: true);
                var buffer = new byte[64];
                var read = 0;
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

    /// <summary>
    /// Takes the listener down, as an API that is briefly unavailable (connections are refused), but keeps its port:
    /// a released port is the kernel's to hand to any process's next outgoing connection, and under load one of
    /// 500 released for ten seconds was, so listening again failed with "address in use". A socket bound and not
    /// listening refuses connections and holds the port; it is bound before the listener closes, so there is no gap.
    /// </summary>
    public void StopListening()
    {
        _parked ??= Bind(_port, listen: false);
        _listener.Close();
    }

    /// <summary>Listens again on the same port.</summary>
    public void StartListening()
    {
        if (_parked is null) return;
        _parked.Listen();
        (_listener, _parked) = (_parked, null);
    }

    public void Dispose()
    {
        _listener.Close();
        _parked?.Close();
    }

    private const int SolSocket = 1, SoReusePort = 15;

    /// <summary>A loopback socket on <paramref name="port"/> (0: any free one) that a second socket of this process may bind beside it.</summary>
    internal static Socket Bind(int port, bool listen)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        // Linux's SO_REUSEPORT: the parked socket can bind while the listener still holds the port.
        socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        if (listen) socket.Listen();
        return socket;
    }
}
