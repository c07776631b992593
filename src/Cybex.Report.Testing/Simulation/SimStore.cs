using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Testing.Simulation;

/// <summary>
/// report_db in memory with MongoDB's atomicity: each operation of <see cref="IClaimPort"/> and
/// <see cref="ITdqlStore"/> is one atomic step after its gate, a lease is unique per TDQL (as the unique index
/// makes it on MongoDB), and nothing spans two documents. It records what the invariants need: which claims passed
/// their commit check and which claim completed each TDQL.
/// </summary>
public sealed class SimStore(SimScheduler scheduler) : IClaimPort, ITdqlStore
{
    private sealed class LeaseDoc
    {
        public required int Id;
        public required string Tdql;
        public required Guid Claim;
        public required string Fingerprint;
        public required string Socket;
        public required string User;
        public long Version;
        public Instant ClaimedAt;
        public Instant Expires;
        public int Attempt;
        public bool Started;
        public bool Answered;
        public Instant? SendingUntil;
        public string? Error;

        public Lease Read() => new(Id, Tdql, Claim, Version, ClaimedAt, Expires, Attempt, Started, Answered, Error, Socket);
    }

    private readonly Dictionary<string, BsonDocument> _tdqls = [];
    private readonly Dictionary<string, BsonDocument> _reports = [];
    private readonly List<LeaseDoc> _leases = [];
    private int _nextLeaseId;

    public HashSet<Guid> Committed { get; } = [];

    /// <summary>Each completion of a TDQL: the claim that wrote it and the waiting state (edges) it was made for.</summary>
    public List<(string Tdql, Guid? Claim, string State)> Completions { get; } = [];

    public List<UndeliveredReply> Undelivered { get; } = [];

    public IReadOnlyDictionary<string, BsonDocument> Tdqls => _tdqls;

    public bool HasReport(string hash) => _reports.ContainsKey(hash);

    public bool HasLease(string tdql) => _leases.Any(l => l.Tdql == tdql);

    public int LeaseCount => _leases.Count;

    public IReadOnlyList<Lease> Leases => _leases.Select(l => l.Read()).ToList();

    /// <summary>Writes a TDQL as the API does (a new one, or a redo replacing the old): no gate, the caller steps.</summary>
    public void PutTdql(BsonDocument tdql) => _tdqls[tdql["_hash"].AsString] = tdql;

    public async Task<List<BsonDocument>> WaitingAsync()
    {
        await scheduler.Gate();
        return _tdqls.Values.Where(t => StatusOf(t) == Tdql.StatusWait).ToList();
    }

    public async Task<BsonDocument?> TryMoveToProcessingAsync(BsonDocument tdql, string fromStatus, bool withChild, CancellationToken ct)
    {
        await scheduler.Gate();
        if (!_tdqls.TryGetValue(tdql["_hash"].AsString, out var now) || !SameEdges(now, tdql) || StatusOf(now) != fromStatus) return null;
        var (updated, _) = TdqlDocuments.ReplaceChildren(tdql, new Dictionary<string, BsonValue> { ["status"] = Tdql.StatusProcessing });
        _tdqls[tdql["_hash"].AsString] = updated;
        return updated;
    }

    public async Task<bool> TryCreateAsync(BsonDocument tdql, IEnumerable<BsonDocument> absentChildren, CancellationToken ct)
    {
        await scheduler.Gate();
        return _tdqls.TryAdd(tdql["_hash"].AsString, tdql);
    }

    public async Task<IReadOnlyDictionary<string, TdqlProgress>> ProgressAsync(IReadOnlyCollection<string> hashes, CancellationToken ct)
    {
        await scheduler.Gate();
        return hashes.Where(_tdqls.ContainsKey).ToDictionary(h => h, h =>
        {
            var t = Tdql.Parse(_tdqls[h]);
            return new TdqlProgress(t.Status, t.ReportId, t.Socket);
        });
    }

    public async Task<IReadOnlyList<bool>> TryWriteLeasesAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct)
    {
        await scheduler.Gate();
        return intents.Select(i =>
        {
            var held = _leases.FirstOrDefault(l => l.Tdql == i.Claim.TdqlHash);
            if (held is not null && held.Fingerprint == i.Fingerprint && (held.Expires >= now || held.Answered)) return false;
            if (held is not null) _leases.Remove(held);
            _leases.Add(new LeaseDoc
            {
                Id = ++_nextLeaseId, Tdql = i.Claim.TdqlHash, Claim = i.Claim.ClaimId, Fingerprint = i.Fingerprint, Socket = i.Socket, User = i.User, Version = (held?.Version ?? 0) + 1,
                ClaimedAt = i.Claim.ClaimedAt, Expires = i.Expires, Attempt = i.Claim.Attempt,
            });
            return true;
        }).ToList();
    }

    public async Task<IReadOnlyDictionary<string, int>> InFlightByUserAsync(IReadOnlyCollection<string>? users, CancellationToken ct)
    {
        await scheduler.Gate();
        return _leases.Where(l => !l.Answered && (users is null || users.Contains(l.User))).GroupBy(l => l.User).ToDictionary(g => g.Key, g => g.Count());
    }

    public async Task<Lease?> TryUpdateAsync(LeaseMatch match, LeaseChange change, CancellationToken ct)
    {
        await scheduler.Gate();
        var lease = _leases.FirstOrDefault(l => Matches(l, match));
        if (lease is null) return null;
        var before = lease.Read();
        lease.Version++;
        if (change.Expires is { } e) lease.Expires = e;
        if (change.Started is { } s) lease.Started = s;
        if (change.Answered is { } a) lease.Answered = a;
        if (change.SendingUntil is { } u) lease.SendingUntil = u;
        if (change.Error is { } error) lease.Error = error;
        if (change.Socket is { } socket) lease.Socket = socket;
        if (change.TakeOver is { } claim)
        {
            (lease.Claim, lease.ClaimedAt, lease.Attempt, lease.Started, lease.Answered, lease.SendingUntil) = (claim.ClaimId, claim.ClaimedAt, claim.Attempt, false, false, null);
        }
        if (change.Answered == true && match.Claim is { } committer) Committed.Add(committer);
        return before;
    }

    public async Task<bool> TryDeleteAsync(LeaseMatch match, CancellationToken ct)
    {
        await scheduler.Gate();
        return _leases.RemoveAll(l => Matches(l, match)) > 0;
    }

    public async Task<IReadOnlySet<string>> LeasedByOthersAsync(IReadOnlyCollection<Claim> claims, CancellationToken ct)
    {
        await scheduler.Gate();
        return _leases.Where(l => claims.Any(c => c.TdqlHash == l.Tdql) && claims.All(c => c.ClaimId != l.Claim)).Select(l => l.Tdql).ToHashSet();
    }

    public async Task DeleteClaimsAsync(IReadOnlyCollection<Guid> claims, CancellationToken ct)
    {
        await scheduler.Gate();
        _leases.RemoveAll(l => claims.Contains(l.Claim));
    }

    public async Task DeleteAllAsync(IReadOnlyCollection<string> tdqls, CancellationToken ct)
    {
        await scheduler.Gate();
        _leases.RemoveAll(l => tdqls.Contains(l.Tdql));
    }

    public async Task<Lease?> FindAsync(string tdql, Guid claim, CancellationToken ct)
    {
        await scheduler.Gate();
        return _leases.FirstOrDefault(l => l.Tdql == tdql && l.Claim == claim)?.Read();
    }

    public async Task<IReadOnlyList<Lease>> ExpiredAsync(Instant now, int limit, CancellationToken ct)
    {
        await scheduler.Gate();
        return _leases.Where(l => l.Expires < now).OrderBy(l => l.Expires).Take(limit).Select(l => l.Read()).ToList();
    }

    public async Task<IReadOnlySet<string>> LiveAsync(IReadOnlyCollection<string> tdqls, Instant now, CancellationToken ct)
    {
        await scheduler.Gate();
        return _leases.Where(l => tdqls.Contains(l.Tdql) && l.Expires >= now).Select(l => l.Tdql).ToHashSet();
    }

    public async Task RecordUndeliveredAsync(UndeliveredReply reply, Instant at, CancellationToken ct)
    {
        await scheduler.Gate();
        Undelivered.Add(reply);
    }

    public async Task<StoredTdql?> FindAsync(string hash, CancellationToken ct)
    {
        await scheduler.Gate();
        return _tdqls.TryGetValue(hash, out var t) ? StoredTdql.Parse(t) : null;
    }

    public async Task<BsonDocument?> FindReportAsync(string reportHash, CancellationToken ct)
    {
        await scheduler.Gate();
        return _reports.GetValueOrDefault(reportHash);
    }

    public async Task<bool> CompleteAsync(StoredTdql tdql, BsonDocument report, string status, CancellationToken ct)
    {
        await scheduler.Gate();
        var hash = report["_hash"].AsString;
        _reports[hash] = report;
        if (!_tdqls.TryGetValue(tdql.Hash, out var now) || !SameEdges(now, tdql.Document)) return false;
        var (updated, _) = TdqlDocuments.ReplaceChildren(tdql.Document, new Dictionary<string, BsonValue> { ["report_id"] = hash, ["status"] = status });
        _tdqls[tdql.Hash] = updated;
        Completions.Add((tdql.Hash, SimScheduler.Current?.Claim, now["_ref"].ToString()!));
        return true;
    }

    /// <summary>A stored TDQL's status, read without parsing the whole document (the store writes only well-formed ones).</summary>
    public static string StatusOf(BsonDocument tdql) => tdql["data"]["status"][0].AsString;

    private static bool SameEdges(BsonDocument a, BsonDocument b) => a["_cref"] == b["_cref"] && a["_ref"] == b["_ref"];

    private bool Matches(LeaseDoc l, LeaseMatch m)
    {
        if (m.AsRead is { } read)
        {
            if (!read.Id.Equals((BsonValue)l.Id) || read.Version != l.Version) return false;
        }
        else if (l.Tdql != m.Tdql || l.Claim != m.Claim)
        {
            return false;
        }
        if (m.Answered && !l.Answered) return false;
        if (m.Socket is { } socket && l.Socket != socket) return false;
        return m.SendingFreeAt is not { } free || l.SendingUntil is null || l.SendingUntil < free;
    }
}
