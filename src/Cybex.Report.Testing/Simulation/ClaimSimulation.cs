using System.Text;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using NodaTime;
using NodaTime.Testing;

namespace Cybex.Report.Testing.Simulation;

/// <summary>
/// One seeded schedule of the claim protocol: watchers, report consumers and reply consumers (the real
/// <see cref="ClaimProtocol"/>, <see cref="ReportRequestFlow"/>, <see cref="ReplyFlow"/> and
/// <see cref="QueryAnswerer"/>) over <see cref="SimStore"/>, with a broker that delivers late, twice or never and
/// redelivers what a killed consumer held, an API that redoes queries and listens for each nonce, and a clock that
/// jumps past leases. A rough phase kills actors at any step; a calm phase then lets the survivors finish. The
/// invariants are checked after every step and at the end.
/// </summary>
public sealed class ClaimSimulation
{
    public static readonly Duration Lease = Duration.FromSeconds(10);
    private static readonly Duration ReplyHold = Duration.FromSeconds(1.5);
    private const int MaxAttempts = 3;
    private const int CalmStepLimit = 20_000;
    private static readonly string User = new('a', 64);
    private static readonly string Org = new('b', 64);
    private static readonly string QdataLiteral = PyBytesLiteral.Format(Encoding.UTF8.GetBytes("""{"data": "\"203.0.113.45\"", "sub_type": "\"ipv4\""}"""));

    private sealed record Request(string Tdql, Guid Claim, StoredTdql? Carried)
    {
        public override string ToString() => $"request of {Short(Tdql)} under {Short(Claim)}";
    }

    private sealed record Completion(string Tdql, Guid Claim, string ReportId, TdqlSocket? Socket)
    {
        public override string ToString() => $"completion of {Short(Tdql)} under {Short(Claim)}";
    }

    private sealed class Mailbox<T>
    {
        public List<T> Ready { get; } = [];
    }

    private readonly int _seed;
    private readonly Random _random;
    private readonly SimScheduler _scheduler;
    private readonly FakeClock _clock = new(Instant.FromUnixTimeSeconds(1_700_000_000));
    private readonly SimStore _store;
    private readonly ClaimProtocol _protocol;
    private readonly ReportRequestFlow _flow;
    private readonly ReplyFlow _reply;
    private readonly Mailbox<Request> _requests = new();
    private readonly Mailbox<Completion> _completions = new();
    private readonly Dictionary<SimActor, (string Kind, Action? Redeliver)> _actors = [];
    private readonly HashSet<string> _listening = [];
    private readonly Dictionary<string, int> _delivered = [];
    private readonly Dictionary<string, int> _redos = [];
    private readonly List<string>? _trace;
    private bool _rough = true;
    private string? _violation;
    private int _names;

    private ClaimSimulation(int seed, bool trace)
    {
        _seed = seed;
        _random = new Random(seed);
        _scheduler = new SimScheduler(_random);
        _store = new SimStore(_scheduler);
        _protocol = new ClaimProtocol(_store, _clock, NewId);
        var answerer = new QueryAnswerer(_store, new OneUser(), new OneEvent(), _clock, null, new ReportOptions());
        _flow = new ReportRequestFlow(answerer, _protocol, Lease, MaxAttempts);
        _reply = new ReplyFlow(_protocol, ReplyHold);
        _trace = trace ? [] : null;
    }

    /// <summary>Runs the schedule of one seed on the calling thread, which must have no synchronization context.</summary>
    public static SimulationResult Run(int seed, bool trace = false) => new ClaimSimulation(seed, trace).Run();

    private void Log(string line)
    {
        _trace?.Add($"{(_clock.GetCurrentInstant() - Instant.FromUnixTimeSeconds(1_700_000_000)).TotalSeconds,7:F2}s {line}");
    }

    private SimulationResult Run()
    {
        var tdqls = 1 + _random.Next(3);
        for (var i = 0; i < tdqls; i++) Submit(i);
        for (var i = 0; i < 1 + _random.Next(2); i++) Start("watcher");
        for (var i = 0; i < 1 + _random.Next(2); i++) Start("report");
        for (var i = 0; i < 1 + _random.Next(2); i++) Start("reply");

        var steps = 0;
        var rough = 20 + _random.Next(160);
        for (; steps < rough && _violation is null; steps++)
        {
            Disturb();
            if (!_scheduler.Step()) break;
            Check();
        }
        _rough = false;
        Log("calm from here");
        var calm = 0;
        for (; calm < CalmStepLimit && _violation is null && !Done(); calm++, steps++)
        {
            // With nothing in flight only time can move the queries on (a lease to expire, an owed reply to announce).
            var idle = _requests.Ready.Count == 0 && _completions.Ready.Count == 0 && _actors.Values.All(a => a.Redeliver is null);
            if (_random.NextDouble() < (idle ? 0.3 : 0.05)) Advance(Duration.FromMilliseconds(500 + _random.Next(idle ? 5000 : 1500)));
            _scheduler.Step();
            Check();
        }
        if (_violation is null && calm == CalmStepLimit) _violation = "liveness: the calm phase did not finish every query";
        if (_violation is null) Final();
        return new SimulationResult(_seed, _violation, steps, _trace ?? []);
    }

    private void Submit(int i)
    {
        var (tdql, _) = TdqlDocuments.Build("count", Canonical.Sha256Hex($"q{i}"), QdataLiteral, User, 1_700_000_000 + i, false, Tdql.StatusWait, Socket(i, 0));
        _store.PutTdql(tdql);
        _listening.Add(Socket(i, 0).Nonce);
    }

    private Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static TdqlSocket Socket(int query, int redo) => new("0.0.0.0", 40000 + query * 10 + redo, $"n{query}r{redo}");

    private void Advance(Duration by)
    {
        _clock.Advance(by);
    }

    /// <summary>The rough phase's faults: a clock jump, an API redo, a forged message, an actor killed (and another started).</summary>
    private void Disturb()
    {
        var roll = _random.NextDouble();
        if (roll < 0.05) Advance(Duration.FromMilliseconds(_random.Next(15_000)));
        else if (roll < 0.25) Advance(Duration.FromMilliseconds(_random.Next(500)));
        if (_random.NextDouble() < 0.01) Redo();
        if (_random.NextDouble() < 0.02) Forge();
        if (_random.NextDouble() < 0.02)
        {
            var victim = _actors.Keys.ElementAt(_random.Next(_actors.Count));
            var (kind, redeliver) = _actors[victim];
            victim.Kill();
            Log($"{victim} killed");
            redeliver?.Invoke();
            _actors.Remove(victim);
            Start(kind);
        }
    }

    /// <summary>Where a forger wants nonces sent: no TDQL ever names it, so a reply to it is a violation.</summary>
    private static readonly TdqlSocket Forged = new("0.0.0.0", 39999, "forged");

    /// <summary>
    /// A publisher who read a live claim id off a queue: a completion naming its own socket, or a request carrying
    /// the TDQL as finished with its own socket.
    /// </summary>
    private void Forge()
    {
        var leases = _store.Leases;
        if (leases.Count == 0 || leases[_random.Next(leases.Count)] is not { ClaimId: { } claim } lease) return;
        if (_random.Next(2) == 0)
        {
            Publish(_completions, new Completion(lease.Tdql, claim, "", Forged));
            Log($"forged completion of {Short(lease.Tdql)} under {Short(claim)}");
            return;
        }
        var t = Tdql.Parse(_store.Tdqls[lease.Tdql]);
        var finished = TdqlDocuments.Build(t.QType, t.QHash, t.QData, t.UserId, t.Timestamp, t.Encrypted, Tdql.StatusReady, Forged, t.ReportId).Tdql;
        Publish(_requests, new Request(lease.Tdql, claim, StoredTdql.Parse(finished)));
        Log($"forged request of {Short(lease.Tdql)} under {Short(claim)}, carried as ready");
    }

    /// <summary>The API's redo of one query: a new socket, status wait, the old report id kept, at most once a query.</summary>
    private void Redo()
    {
        var hash = _store.Tdqls.Keys.ElementAt(_random.Next(_store.Tdqls.Count));
        var redo = _redos.GetValueOrDefault(hash) + 1;
        if (redo > 1) return;
        _redos[hash] = redo;
        var t = Tdql.Parse(_store.Tdqls[hash]);
        var query = int.Parse(t.Socket.Nonce[1..t.Socket.Nonce.IndexOf('r')]);
        var socket = Socket(query, redo);
        _store.PutTdql(TdqlDocuments.Build(t.QType, t.QHash, t.QData, t.UserId, t.Timestamp, t.Encrypted, Tdql.StatusWait, socket, t.ReportId).Tdql);
        _listening.Add(socket.Nonce);
        Log($"API redo of {Short(hash)} (was {t.Status})");
    }

    private void Publish<T>(Mailbox<T> queue, T message)
    {
        if (_rough && _random.NextDouble() < 0.05)
        {
            Log($"lost {message}");
            return;
        }
        queue.Ready.Add(message);
        if (_rough && _random.NextDouble() < 0.1) queue.Ready.Add(message);
    }

    private T? Take<T>(Mailbox<T> queue) where T : class
    {
        if (queue.Ready.Count == 0) return null;
        var n = _random.Next(queue.Ready.Count);
        var message = queue.Ready[n];
        queue.Ready.RemoveAt(n);
        return message;
    }

    private void Start(string kind)
    {
        var name = $"{kind}{++_names}";
        Func<SimActor, Task> body = kind switch
        {
            "watcher" => WatcherAsync,
            "report" => ReportConsumerAsync,
            _ => ReplyConsumerAsync,
        };
        var actor = _scheduler.Spawn(name, body);
        _actors.TryAdd(actor, (kind, null));
    }

    private void Holding(SimActor actor, Action? redeliver) => _actors[actor] = (_actors[actor].Kind, redeliver);

    private async Task WatcherAsync(SimActor me)
    {
        while (true)
        {
            await _scheduler.Gate();
            // Each step of the batch is published before the next is claimed, as the watcher does.
            await _protocol.ClaimBatchAsync(await _store.WaitingAsync(), Lease, 2, CancellationToken.None, won =>
            {
                foreach (var c in won)
                {
                    Log($"{me} claimed {Short(c.TdqlHash)} as {Short(c.ClaimId)}");
                    Publish(_requests, new Request(c.TdqlHash, c.ClaimId, StoredTdql.Parse(c.Tdql!)));
                }
                return Task.CompletedTask;
            });
            var reclaimed = await _protocol.ReclaimExpiredAsync(100, Lease, CancellationToken.None);
            foreach (var c in reclaimed.Claims)
            {
                Log($"{me} re-claimed {Short(c.TdqlHash)} as {Short(c.ClaimId)} (attempt {c.Attempt})");
                Publish(_requests, new Request(c.TdqlHash, c.ClaimId, null));
            }
            foreach (var r in reclaimed.Replies)
            {
                Log($"{me} announces the owed reply of {Short(r.TdqlHash)} under {Short(r.ClaimId)}");
                Publish(_completions, new Completion(r.TdqlHash, r.ClaimId, r.ReportId, null));
            }
        }
    }

    private async Task ReportConsumerAsync(SimActor me)
    {
        while (true)
        {
            await _scheduler.Gate();
            if (Take(_requests) is not { } request) continue;
            Holding(me, () => _requests.Ready.Add(request));
            me.Claim = request.Claim;
            if (await _flow.BeginAsync(request.Tdql, request.Claim, CancellationToken.None) is { } held)
            {
                var outcome = await _flow.AnswerAsync(request.Tdql, request.Claim, held, request.Carried, CancellationToken.None);
                Log($"{me} {outcome.End} {Short(request.Tdql)} under {Short(request.Claim)}: {outcome.Reason}");
                if (outcome.End == RequestEnd.Completed)
                {
                    var answer = outcome.Answer!;
                    Publish(_completions, new Completion(request.Tdql, request.Claim, answer.Report!["_hash"].AsString, answer.Tdql!.Socket));
                }
            }
            else
            {
                Log($"{me} dropped the stale request of {Short(request.Tdql)} under {Short(request.Claim)}");
            }
            me.Claim = null;
            Holding(me, null);
        }
    }

    private async Task ReplyConsumerAsync(SimActor me)
    {
        while (true)
        {
            await _scheduler.Gate();
            if (Take(_completions) is not { } completion) continue;
            Holding(me, () => _completions.Ready.Add(completion));
            var socket = completion.Socket;
            if (socket is null && await _store.FindAsync(completion.Tdql, CancellationToken.None) is { } stored
                && stored.Tdql.IsFinished && stored.Tdql.ReportId == completion.ReportId)
            {
                socket = stored.Tdql.Socket;
            }
            if (socket is not null && await _reply.TakeAsync(completion.Tdql, completion.Claim, socket, () => _scheduler.Gate(), CancellationToken.None) == ReplyTake.Taken)
            {
                var delivered = await SendAsync(completion.Tdql, socket);
                Log($"{me} sent {socket.Nonce} of {Short(completion.Tdql)} under {Short(completion.Claim)}: {(delivered ? "taken" : "refused")}");
                await _reply.FinishAsync(completion.Tdql, completion.Claim,
                    delivered ? null : new UndeliveredReply(completion.Tdql, socket.Host, socket.Port, "refused"), CancellationToken.None);
            }
            else
            {
                Log($"{me} has nothing to send for the {completion}");
            }
            Holding(me, null);
        }
    }

    /// <summary>The API's listener: it takes the first nonce that reaches it and closes, so a later one is refused.</summary>
    private async Task<bool> SendAsync(string hash, TdqlSocket socket)
    {
        await _scheduler.Gate();
        if (socket == Forged) _violation ??= $"a forged message's socket got the reply of {Short(hash)}";
        if (!_listening.Remove(socket.Nonce)) return false;
        _delivered[socket.Nonce] = _delivered.GetValueOrDefault(socket.Nonce) + 1;
        var t = Tdql.Parse(_store.Tdqls[hash]);
        if (t.Socket.Nonce == socket.Nonce && !(t.IsFinished && _store.HasReport(t.ReportId)))
        {
            _violation ??= $"a nonce reached the API before its report: {Short(hash)} is {t.Status}";
        }
        return true;
    }

    private bool Done() =>
        _store.Tdqls.Values.All(t => SimStore.StatusOf(t) is Tdql.StatusReady or Tdql.StatusFailed) && _store.LeaseCount == 0
        && _requests.Ready.Count == 0 && _completions.Ready.Count == 0 && _actors.Values.All(a => a.Redeliver is null);

    private void Check()
    {
        foreach (var (hash, doc) in _store.Tdqls)
        {
            if (SimStore.StatusOf(doc) == Tdql.StatusProcessing && !_store.HasLease(hash))
            {
                _violation ??= $"{Short(hash)} is processing without a lease";
            }
        }
        foreach (var (hash, claim, _) in _store.Completions.Where(c => c.Claim is not { } claim || !_store.Committed.Contains(claim)))
        {
            _violation ??= $"a claim ({(claim is null ? "none" : Short(claim.Value))}) completed {Short(hash)} without passing its commit check";
        }
        foreach (var twice in _store.Completions.GroupBy(c => (c.Tdql, c.State)).Where(g => g.Count() > 1))
        {
            _violation ??= $"{Short(twice.Key.Tdql)} was completed {twice.Count()} times for one waiting state";
        }
    }

    private void Final()
    {
        foreach (var (hash, doc) in _store.Tdqls)
        {
            var t = Tdql.Parse(doc);
            if (!t.IsFinished || !_store.HasReport(t.ReportId))
            {
                _violation ??= $"{Short(hash)} ended {t.Status} without its report";
                continue;
            }
            var sent = _delivered.GetValueOrDefault(t.Socket.Nonce);
            var givenUp = _store.Undelivered.Any(u => u.TdqlHash == hash);
            if (sent != 1 && !givenUp) _violation ??= $"the API got the nonce of {Short(hash)} {sent} times, and no give-up is recorded";
        }
    }

    private static string Short(string hash) => hash[..6];

    private static string Short(Guid claim) => claim.ToString("N")[..6];

    /// <summary>Every query's user exists and belongs to one org.</summary>
    private sealed class OneUser : IIdentityReader
    {
        public Task<UserAccess?> FindUserAsync(string userHash, CancellationToken ct) => Task.FromResult<UserAccess?>(new UserAccess(userHash, [Org]));
    }

    /// <summary>An archive in which every count finds one event.</summary>
    private sealed class OneEvent : IArchiveReader
    {
        public Task<long> CountEventsAsync(EventSelection selection, long limit, CancellationToken ct) => Task.FromResult(1L);

        public Task<IReadOnlyList<BsonDocument>> EventPageAsync(EventSelection selection, int skip, int limit, CancellationToken ct) => None();

        public Task<IReadOnlyList<BsonDocument>> SessionsOfEventsAsync(IEnumerable<string> eventHashes, CancellationToken ct) => None();

        public Task<IReadOnlyList<BsonDocument>> EventsAmongAsync(IEnumerable<string> hashes, IReadOnlyList<string> orgHashes, CancellationToken ct) => None();

        public Task<IReadOnlyList<BsonDocument>> DocumentsAsync(IEnumerable<string> hashes, string? itype, IReadOnlyList<string>? orgHashes, CancellationToken ct) => None();

        public Task<BsonDocument?> EventAsync(string hash, CancellationToken ct) => Task.FromResult<BsonDocument?>(null);

        public Task<IReadOnlySet<string>> AttributeHashesAsync(IEnumerable<string> hashes, CancellationToken ct) => Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

        public Task<IReadOnlyList<BsonDocument>> EventsHoldingAsync(IEnumerable<string> attributeHashes, CancellationToken ct) => None();

        private static Task<IReadOnlyList<BsonDocument>> None() => Task.FromResult<IReadOnlyList<BsonDocument>>([]);
    }
}
