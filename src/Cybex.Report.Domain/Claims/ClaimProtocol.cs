using System.Collections.Concurrent;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Domain.Claims;

/// <summary>
/// The claim protocol (D13): every decision about claims, leases and the one reply each answer owes the API, over
/// the conditional writes of <see cref="IClaimPort"/>. The claim itself is a compare-and-set of the TDQL (wait →
/// processing); the lease that lets another watcher take over after a crash lives beside it, out of the API's sight.
/// The lease's claim id is what every later step checks: a message of another claim is stale.
/// </summary>
/// <param name="newClaimId">Where claim ids come from (a simulation draws them from its seed).</param>
public sealed class ClaimProtocol(IClaimPort port, IClock clock, Func<Guid>? newClaimId = null)
{
    private readonly Func<Guid> _newClaimId = newClaimId ?? Guid.NewGuid;

    /// <summary>Names the waiting state a claim is for: the TDQL's edges change with every redo, requeue and claim.</summary>
    public static string Fingerprint(BsonDocument tdql) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.ASCII.GetBytes(string.Join(",", tdql["_ref"].AsBsonArray.Select(v => v.AsString)))))[..32];

    /// <summary>
    /// Names the socket a claim's reply goes to, kept on its lease: a completion is only ever a claim's to send to
    /// that socket, whatever the message says. A digest, so the lease collection holds no nonce.
    /// </summary>
    public static string SocketKey(TdqlSocket socket) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{socket.Host}\n{socket.Port}\n{socket.Nonce}")))[..32];

    private static LeaseIntent Intent(Claim claim, BsonDocument tdql, Instant expires)
    {
        var parsed = Tdql.Parse(tdql);
        return new LeaseIntent(claim, Fingerprint(tdql), expires, SocketKey(parsed.Socket), parsed.UserId);
    }

    /// <summary>
    /// How long after its claim a finished TDQL's lease is kept while its reply is owed: the watcher announces the
    /// completion again each time the lease expires (a completion lost with a crashed or cut-off consumer), then
    /// gives up and records it. Far past the API's 5 s wait, but a client that waits longer still gets its nonce.
    /// </summary>
    public static Duration AnsweredGrace(Duration lease) => Duration.Max(lease * 10, Duration.FromMinutes(2));

    /// <summary>Claims a batch of waiting, well-formed TDQLs (distinct hashes) from <c>wait</c>.</summary>
    /// <param name="announce">Given each step's won claims, in the batch's order, as soon as that step ends (the
    /// first claim, then <paramref name="parallelism"/> at a time), before the next step is claimed: a batch found
    /// after an idle wait need not hold its first queries until its last is claimed.</param>
    public Task<ClaimBatch> ClaimBatchAsync(IReadOnlyList<BsonDocument> waiting, Duration lease, int parallelism, CancellationToken ct,
        Func<IReadOnlyList<Claim>, Task>? announce = null) =>
        ClaimBatchAsync(waiting, Tdql.StatusWait, lease, parallelism, ct, announce);

    /// <summary>
    /// Claims a batch of TDQLs in <paramref name="fromStatus"/> (a bus query is stored <c>invalid</c>, the API's
    /// construction default, and claimed from there, so no watcher takes it in between). The leases are written
    /// first and the claims made after: a claimer that dies in between leaves leases that expire, never a TDQL in
    /// <c>processing</c> without one. Each claim stands alone: one whose lease is held elsewhere is skipped, one that
    /// fails is reported, and the leases of claims lost or failed are removed again.
    /// </summary>
    public async Task<ClaimBatch> ClaimBatchAsync(IReadOnlyList<BsonDocument> waiting, string fromStatus, Duration lease, int parallelism, CancellationToken ct,
        Func<IReadOnlyList<Claim>, Task>? announce = null)
    {
        if (waiting.Count == 0) return new ClaimBatch([], []);
        var now = clock.GetCurrentInstant();
        var intents = waiting.Select(w => (Doc: w, Lease: Intent(new Claim(w["_hash"].AsString, _newClaimId(), now, 1), w, now + lease))).ToList();
        var leased = await port.TryWriteLeasesAsync(intents.Select(i => i.Lease).ToList(), now, ct);
        var won = new List<Claim>();
        var failed = new ConcurrentBag<(string, Exception)>();
        async Task<Claim?> ClaimOneAsync((BsonDocument Doc, LeaseIntent Lease) intent, bool withChild, CancellationToken token)
        {
            try
            {
                return await port.TryMoveToProcessingAsync(intent.Doc, fromStatus, withChild, token) is { } claimed
                    ? intent.Lease.Claim with { Tdql = claimed }
                    : null;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                failed.Add((intent.Lease.Claim.TdqlHash, e));
                return null;
            }
        }
        async Task StepAsync(IEnumerable<Task<Claim?>> claiming)
        {
            var step = (await Task.WhenAll(claiming)).OfType<Claim>().ToList();
            won.AddRange(step);
            if (announce is not null && step.Count > 0) await announce(step);
        }
        // The processing child is the same document for every TDQL: the first claim writes it, the rest of the
        // batch only swaps edges (unless that first claim failed, and left no child written).
        var toClaim = intents.Where((_, n) => leased[n]).ToList();
        if (toClaim.Count > 0) await StepAsync([ClaimOneAsync(toClaim[0], withChild: true, ct)]);
        var childWritten = toClaim.Count > 0 && failed.IsEmpty;
        foreach (var chunk in toClaim.Skip(1).Chunk(Math.Max(1, parallelism)))
        {
            await StepAsync(chunk.Select(intent => ClaimOneAsync(intent, withChild: !childWritten, ct)));
        }
        var wonIds = won.Select(c => c.ClaimId).ToHashSet();
        var lost = toClaim.Select(i => i.Lease.Claim).Where(c => !wonIds.Contains(c.ClaimId)).ToList();
        if (lost.Count > 0) await DropLostAsync(lost, ct);
        return new ClaimBatch(won, failed.ToList());
    }

    /// <summary>
    /// Claims a TDQL that does not exist yet by writing it already <c>processing</c>: the lease first (as for any
    /// claim), then the TDQL only if no TDQL of its hash appeared meanwhile. Null, with the lease removed, when one did.
    /// </summary>
    public async Task<Claim?> ClaimNewAsync(BsonDocument processing, IEnumerable<BsonDocument> absentChildren, Duration lease, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var claim = new Claim(processing["_hash"].AsString, _newClaimId(), now, 1);
        if (!(await port.TryWriteLeasesAsync([Intent(claim, processing, now + lease)], now, ct))[0]) return null;
        if (await port.TryCreateAsync(processing, absentChildren, ct)) return claim with { Tdql = processing };
        await DropLostAsync([claim], ct);
        return null;
    }

    /// <summary>
    /// Removes the leases of claims whose TDQL has gone meanwhile or has another lease beside (a store without the
    /// unique index let a second lease in), and only those. A lost claim's lease may have
    /// displaced the lease of the claimer that moved the TDQL (one whose lease had expired, or was written for another
    /// waiting state), and is then the only one the TDQL has: kept, it is taken over once it expires where the TDQL is
    /// processing, replaced by the next claim where it waits, and where it has finished it stands for the nonce still
    /// owed (see <see cref="ReclaimExpiredAsync"/>).
    /// </summary>
    private async Task DropLostAsync(IReadOnlyList<Claim> lost, CancellationToken ct)
    {
        var progress = await port.ProgressAsync(lost.Select(c => c.TdqlHash).ToList(), ct);
        var others = await port.LeasedByOthersAsync(lost, ct);
        var drop = lost.Where(c => !progress.ContainsKey(c.TdqlHash) || others.Contains(c.TdqlHash)).Select(c => c.ClaimId).ToList();
        if (drop.Count > 0) await port.DeleteClaimsAsync(drop, ct);
    }

    /// <summary>
    /// How many claims of each user are made and not yet answered (by any worker): what <see cref="FairShare"/> bounds.
    /// Only the users asked for, or all when null.
    /// </summary>
    public Task<IReadOnlyDictionary<string, int>> InFlightAsync(IReadOnlyCollection<string>? users, CancellationToken ct) => port.InFlightByUserAsync(users, ct);

    /// <summary>
    /// Extends the lease of a claim still held by the caller; false when it is no longer theirs. Only the expiry:
    /// the watcher renews claims it could not announce yet, and work under them has not begun.
    /// </summary>
    public async Task<bool> RenewAsync(string tdql, Guid claim, Duration lease, CancellationToken ct) =>
        await port.TryUpdateAsync(LeaseMatch.Of(tdql, claim), new LeaseChange { Expires = clock.GetCurrentInstant() + lease }, ct) is not null;

    public Task<bool> RenewAsync(Claim claim, Duration lease, CancellationToken ct) => RenewAsync(claim.TdqlHash, claim.ClaimId, lease, ct);

    /// <summary>
    /// Begins work under a claim: renews its lease and marks it started, if it is still the lease of the TDQL; null
    /// when it is not (stale or foreign). A lease past its expiry that nobody took over yet is still the claim's:
    /// should the watcher take it over in the same moment, the commit check stops this claim from writing.
    /// </summary>
    public async Task<HeldLease?> HoldAsync(string tdql, Guid claim, Duration lease, CancellationToken ct) =>
        await port.TryUpdateAsync(LeaseMatch.Of(tdql, claim), new LeaseChange { Expires = clock.GetCurrentInstant() + lease, Started = true }, ct) is { } held
            ? new HeldLease(held.Attempt, held.LastError, held.Answered)
            : null;

    /// <summary>
    /// The commit check: marks the claim's report as about to be stored, renewing the lease once more, if the claim
    /// still holds it. Nothing is written under a claim that fails it. The mark is the reply's ticket.
    /// </summary>
    public async Task<bool> CommitAsync(string tdql, Guid claim, Duration lease, CancellationToken ct) =>
        await port.TryUpdateAsync(LeaseMatch.Of(tdql, claim), new LeaseChange { Answered = true, Expires = clock.GetCurrentInstant() + lease }, ct) is not null;

    /// <summary>
    /// Takes the one reply an answered claim owes, held for <paramref name="hold"/> (a live sender renews it with
    /// <see cref="HoldReplyAsync"/>): so a reply is sent at most once while its sender lives, and taken over soon
    /// after a sender dies. Only for the socket the claim was made for: a completion naming another one (forged)
    /// takes nothing and changes nothing.
    /// </summary>
    public async Task<ReplyTake> TakeReplyAsync(string tdql, Guid claim, TdqlSocket socket, Duration hold, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var key = SocketKey(socket);
        var match = new LeaseMatch(tdql, claim, Answered: true, SendingFreeAt: now, Socket: key);
        if (await port.TryUpdateAsync(match, new LeaseChange { SendingUntil = now + hold }, ct) is not null) return ReplyTake.Taken;
        return await port.FindAsync(tdql, claim, ct) switch
        {
            { Answered: true } l when l.Socket == key => ReplyTake.Sending,
            { Answered: true } => ReplyTake.OtherSocket,
            _ => ReplyTake.Gone,
        };
    }

    /// <summary>Keeps a reply taken while its sender still works on it; false when it is no longer this claim's.</summary>
    public async Task<bool> HoldReplyAsync(string tdql, Guid claim, Duration hold, CancellationToken ct) =>
        await port.TryUpdateAsync(new LeaseMatch(tdql, claim, Answered: true), new LeaseChange { SendingUntil = clock.GetCurrentInstant() + hold }, ct) is not null;

    /// <summary>The reply is sent or given up: the claim's lease is dropped, and with it every later take.</summary>
    public Task ReplyDoneAsync(string tdql, Guid claim, CancellationToken ct) => port.TryDeleteAsync(LeaseMatch.Of(tdql, claim), ct);

    /// <summary>Drops the lease of a claim that ends without a reply (a TDQL that turned out malformed or missing).</summary>
    public Task ReleaseAsync(string tdql, Guid claim, CancellationToken ct) => port.TryDeleteAsync(LeaseMatch.Of(tdql, claim), ct);

    /// <summary>Drops every lease of these TDQLs (an operator's requeue supersedes whatever claim they had).</summary>
    public Task ReleaseAllAsync(IEnumerable<string> tdqls, CancellationToken ct) => port.DeleteAllAsync(tdqls.ToList(), ct);

    /// <summary>Keeps why an attempt failed on its lease, so the attempt that gives up can say it.</summary>
    public Task RecordErrorAsync(string tdql, Guid claim, string error, CancellationToken ct) =>
        port.TryUpdateAsync(LeaseMatch.Of(tdql, claim), new LeaseChange { Error = error }, ct);

    /// <summary>Records a reply given up because the API had gone.</summary>
    public Task RecordUndeliveredAsync(UndeliveredReply reply, CancellationToken ct) => port.RecordUndeliveredAsync(reply, clock.GetCurrentInstant(), ct);

    private static string? KeyOf(TdqlProgress progress) => progress.Socket is { } socket ? SocketKey(socket) : null;

    /// <summary>The text a claim past the attempt limit fails its query with, or null while attempts remain.</summary>
    public static string? GiveUpText(HeldLease held, int maxAttempts) =>
        held.Attempt > maxAttempts
            ? $"Failed to generate report after {held.Attempt - 1} attempts! -- {held.LastError ?? "the worker stopped or timed out"}"
            : null;

    /// <summary>
    /// Handles expired leases, each by a compare-and-set on the lease exactly as read. A TDQL still processing with
    /// no live lease is taken over and returned to be published again; the attempt counts on only when work had
    /// begun under the expired claim (a request that merely waited in a long queue has not failed). A finished
    /// TDQL's lease means its nonce is unsent: the completion is returned to be announced again under the lease's
    /// claim (marked answered, so its reply can be taken), until <see cref="AnsweredGrace"/> has passed; then it is
    /// given up and recorded. A waiting TDQL's lease is left to its next claim; a vanished TDQL's is dropped.
    /// </summary>
    public async Task<Reclaimed> ReclaimExpiredAsync(int limit, Duration lease, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var expired = await port.ExpiredAsync(now, limit, ct);
        if (expired.Count == 0) return new Reclaimed([], []);
        var hashes = expired.Select(l => l.Tdql).Distinct().ToList();
        var progress = await port.ProgressAsync(hashes, ct);
        var processing = hashes.Where(h => progress.TryGetValue(h, out var p) && p.Status == Tdql.StatusProcessing).ToHashSet();

        var owed = new List<OwedReply>();
        foreach (var l in expired.Where(l => !processing.Contains(l.Tdql)))
        {
            var finished = progress.TryGetValue(l.Tdql, out var p) && p.IsFinished ? p : null;
            if (finished is not null && l.ClaimId is { } claimId)
            {
                // A finished TDQL's lease is its unsent nonce (sending it drops the lease), whichever claim answered:
                // the lease's claim owns the reply and announces it again, until the grace has passed.
                if (now - l.ClaimedAt < AnsweredGrace(lease))
                {
                    var owedTo = new LeaseChange { Expires = now + lease, Answered = true, Socket = KeyOf(finished) };
                    if (await port.TryUpdateAsync(LeaseMatch.Exactly(l), owedTo, ct) is not null)
                    {
                        owed.Add(new OwedReply(l.Tdql, claimId, finished.ReportId!, finished.Status!));
                    }
                    continue;
                }
                if (await port.TryDeleteAsync(LeaseMatch.Exactly(l), ct))
                {
                    await port.RecordUndeliveredAsync(new UndeliveredReply(l.Tdql, "", 0, $"the reply was still owed {AnsweredGrace(lease).TotalSeconds:F0} s after its claim"), now, ct);
                }
                continue;
            }
            // A TDQL still waiting may be between this lease and its claim right now (a claimer that wrote the lease
            // before the clock passed it): the lease stays, and the next claim of the TDQL replaces it.
            if (progress.ContainsKey(l.Tdql) && finished is null) continue;
            await port.TryDeleteAsync(LeaseMatch.Exactly(l), ct);
        }
        // A TDQL claimed again since (an API redo) has a live lease of its own and is left alone.
        var live = await port.LiveAsync(processing, now, ct);
        var claims = new List<Claim>();
        foreach (var l in expired.Where(l => processing.Contains(l.Tdql) && !live.Contains(l.Tdql)).DistinctBy(l => l.Tdql))
        {
            var attempt = l.Attempt + (l.Started ? 1 : 0);
            var claim = new Claim(l.Tdql, _newClaimId(), now, attempt);
            // Exactly as read: a holder that renewed or committed since keeps its claim. The socket is the TDQL's as
            // read now: the lease may be a lost claimer's, written for a state of the TDQL that a redo replaced.
            var takeOver = new LeaseChange { TakeOver = claim, Expires = now + lease, Socket = KeyOf(progress[l.Tdql]) };
            if (await port.TryUpdateAsync(LeaseMatch.Exactly(l), takeOver, ct) is not null) claims.Add(claim);
        }
        return new Reclaimed(claims, owed);
    }
}
