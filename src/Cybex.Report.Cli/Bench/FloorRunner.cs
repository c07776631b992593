using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Cybex.Report.Cli.Commands;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Testing;
using MassTransit;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Cli.Bench;

/// <summary>
/// <c>bench --floor</c>: what the fixed stack costs this process per operation on this machine, without the worker:
/// a socket round trip to the database, the driver's command and conditional update, a message through MassTransit,
/// one query's decryption. A report's floor is its operations times these, whatever the worker does around them.
/// </summary>
public static class FloorRunner
{
    /// <summary>Operations measured after as many warm-up ones (the JIT and connection pools are not the floor).</summary>
    private const int Operations = 2000;

    private const int Documents = 20;

    public static async Task<IReadOnlyList<FloorFigure>> RunAsync(string mongoUrl, TextWriter text, CancellationToken ct)
    {
        var figures = new List<FloorFigure>();
        async Task Measure(string name, int inFlight, Func<int, Task> op)
        {
            figures.Add(await MeasureAsync(name, inFlight, op, ct));
            text.WriteLine(figures[^1].Line());
        }
        await using var databases = new ScratchDatabases("floor", mongoUrl);
        var url = MongoUrl.Create(mongoUrl);
        using (var socket = await RawPing.ConnectAsync(url.Server.Host, url.Server.Port, ct))
        {
            await Measure("socket round trip (OP_MSG ping, no driver)", 1, _ => socket.PingAsync(ct));
        }
        // The worker's own client settings and command counter.
        var db = databases.Mongo.Client.GetDatabase(databases.Options.ReportDatabase);
        var leases = db.GetCollection<BsonDocument>("leases");
        await leases.InsertManyAsync(Enumerable.Range(0, Documents).Select(i => new BsonDocument { ["tdql"] = $"t{i}", ["expires"] = DateTime.UtcNow }), cancellationToken: ct);
        var ping = new BsonDocument("ping", 1);
        await Measure("driver command (ping)", 1, _ => db.RunCommandAsync<BsonDocument>(ping, cancellationToken: ct));
        Task Update(int i) => leases.UpdateOneAsync(Builders<BsonDocument>.Filter.Eq("tdql", $"t{i % Documents}"),
            Builders<BsonDocument>.Update.Set("expires", DateTime.UtcNow), cancellationToken: ct);
        await Measure($"driver conditional update ({Documents} documents)", 1, Update);
        await Measure($"driver conditional update ({Documents} documents)", 8, Update);

        var consumed = new AwaitedConsumes();
        var queue = $"cybex-floor-{Guid.NewGuid():N}";
        var bus = BusSubmit.CreateBus(cfg => cfg.ReceiveEndpoint(queue, e =>
        {
            e.AutoDelete = true;
            e.Handler<FloorPing>(context => consumed.Complete(context.Message.Id));
        }));
        await bus.StartAsync(ct);
        try
        {
            async Task Message(int i)
            {
                var done = consumed.Expect(i);
                await bus.Publish(new FloorPing(i), ct);
                await done;
            }
            await Measure("message published and consumed (MassTransit, RabbitMQ)", 1, Message);
            await Measure("message published and consumed (MassTransit, RabbitMQ)", 8, Message);
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        var (privatePem, publicPem) = KeyPairs.Generate();
        var blob = QueryCipher.FromPem(publicPem).Encrypt(Encoding.UTF8.GetBytes("""{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}"""));
        var cipher = QueryCipher.FromPem(privatePem);
        await Measure("qdata decryption (RSA-OAEP + AES-EAX)", 1, _ =>
        {
            cipher.Decrypt(blob);
            return Task.CompletedTask;
        });
        return figures;
    }

    private static async Task<FloorFigure> MeasureAsync(string name, int inFlight, Func<int, Task> op, CancellationToken ct)
    {
        async Task Run(int count)
        {
            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) <= count && !ct.IsCancellationRequested) await op(i);
            }));
        }
        await Run(Operations);
        var self = Process.GetCurrentProcess();
        self.Refresh();
        var cpu = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Run(Operations);
        self.Refresh();
        return new FloorFigure(name, inFlight, Math.Round((self.TotalProcessorTime - cpu).TotalMicroseconds / Operations, 1),
            Math.Round(wall.Elapsed.TotalMicroseconds / Operations, 1));
    }

    /// <summary>The database's cheapest command over a bare socket: what a round trip costs below any driver.</summary>
    private sealed class RawPing(Socket socket) : IDisposable
    {
        private static readonly byte[] Message = OpMsg(new BsonDocument { ["ping"] = 1, ["$db"] = "admin" });
        private readonly byte[] _reply = new byte[16 * 1024];

        public static async Task<RawPing> ConnectAsync(string host, int port, CancellationToken ct)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(host, port, ct);
            return new RawPing(socket);
        }

        private static byte[] OpMsg(BsonDocument body)
        {
            // Header (length, request id, response to, op code 2013), flag bits, one section of kind 0.
            var bson = body.ToBson();
            var message = new byte[16 + 4 + 1 + bson.Length];
            BinaryPrimitives.WriteInt32LittleEndian(message, message.Length);
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(12), 2013);
            bson.CopyTo(message, 21);
            return message;
        }

        public async Task PingAsync(CancellationToken ct)
        {
            await socket.SendAsync(Message, SocketFlags.None, ct);
            int got = 0, length = int.MaxValue;
            while (got < length)
            {
                var read = await socket.ReceiveAsync(_reply.AsMemory(got), SocketFlags.None, ct);
                if (read == 0) throw new IOException("the database closed the connection");
                got += read;
                if (got >= 4) length = BinaryPrimitives.ReadInt32LittleEndian(_reply);
            }
        }

        public void Dispose() => socket.Dispose();
    }

    /// <summary>What each publisher waits for: its own message consumed, by id.</summary>
    private sealed class AwaitedConsumes
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<int, TaskCompletionSource> _waiting = new();

        public Task Expect(int id) => _waiting.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public Task Complete(int id)
        {
            if (_waiting.TryRemove(id, out var done)) done.TrySetResult();
            return Task.CompletedTask;
        }
    }
}

/// <summary>One operation's cost: CPU of this process and wall clock, per operation, with so many in flight.</summary>
public sealed record FloorFigure(string Operation, int InFlight, double CpuMicroseconds, double WallMicroseconds)
{
    public string Line() => FormattableString.Invariant($"{Operation,-58} x{InFlight,-2} {CpuMicroseconds,8:0.0} us CPU {WallMicroseconds,9:0.0} us wall");
}
