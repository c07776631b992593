using Cybex.Report.Domain.Claims;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage.Tdqls;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Claims;

/// <summary>
/// The claim protocol's port on MongoDB: each conditional write of <see cref="IClaimPort"/> as one single-document
/// update, delete or upsert on <c>report_leases</c> or <c>report_db.instance</c>. It decides nothing: the decisions
/// are <see cref="ClaimProtocol"/>'s.
/// </summary>
public sealed class ClaimStore(MongoContext mongo, ILeaseWriter leaseWriter) : IClaimPort
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;
    private static readonly UpdateDefinitionBuilder<BsonDocument> U = Builders<BsonDocument>.Update;
    private readonly TdqlStore _tdqls = new(mongo);

    public ClaimStore(MongoContext mongo) : this(mongo, new MongoLeaseWriter(mongo))
    {
    }

    /// <summary>The protocol over this store: what the worker, the tools and the tests use.</summary>
    public static ClaimProtocol Protocol(MongoContext mongo, IClock clock, ILeaseWriter? leaseWriter = null) =>
        new(new ClaimStore(mongo, leaseWriter ?? new MongoLeaseWriter(mongo)), clock);

    public Task<BsonDocument?> TryMoveToProcessingAsync(BsonDocument tdql, string fromStatus, bool withChild, CancellationToken ct) =>
        _tdqls.TrySetStatusAsync(tdql, Tdql.StatusProcessing, F.Eq("data.status", fromStatus), withChild, ct);

    public Task<bool> TryCreateAsync(BsonDocument tdql, IEnumerable<BsonDocument> absentChildren, CancellationToken ct) =>
        _tdqls.InsertTdqlIfAbsentAsync(tdql, absentChildren, ct);

    public async Task<IReadOnlyDictionary<string, TdqlProgress>> ProgressAsync(IReadOnlyCollection<string> hashes, CancellationToken ct)
    {
        var docs = await mongo.ReportDb.Find(TdqlFilters.Among(hashes))
            .Project(Builders<BsonDocument>.Projection.Include("_hash").Include("data.status").Include("data.report_id").Include("data.socket").Exclude("_id"))
            .ToListAsync(ct);
        return docs.Where(t => t["_hash"].IsString).GroupBy(t => t["_hash"].AsString)
            .ToDictionary(g => g.Key, g => new TdqlProgress(Text(Data(g.First()), "status"), Text(Data(g.First()), "report_id"), Socket(Data(g.First()))));

        // A TDQL is hostile input: a field that is not what the API writes reads as unknown.
        static BsonDocument? Data(BsonDocument t) => t.GetValue("data", BsonNull.Value) as BsonDocument;
        static BsonValue? First(BsonDocument? d, string key) => d?.GetValue(key, BsonNull.Value) is BsonArray { Count: > 0 } a ? a[0] : null;
        static string? Text(BsonDocument? d, string key) => First(d, key) is BsonString s ? s.Value : null;
        static TdqlSocket? Socket(BsonDocument? d) =>
            First(d, "socket") is BsonDocument s && Text(s, "host") is { } host && First(s, "port") is { IsInt32: true } or { IsInt64: true } && Text(s, "nonce") is { } nonce
                ? new TdqlSocket(host, (int)Math.Clamp(First(s, "port")!.ToInt64(), -1, int.MaxValue), nonce)
                : null;
    }

    public Task<IReadOnlyList<bool>> TryWriteLeasesAsync(IReadOnlyList<LeaseIntent> intents, Instant now, CancellationToken ct) =>
        leaseWriter.TryWriteAsync(intents, now, ct);

    public async Task<Lease?> TryUpdateAsync(LeaseMatch match, LeaseChange change, CancellationToken ct) =>
        Leases.Read(await mongo.Leases.FindOneAndUpdateAsync(Filter(match), Update(change),
            new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.Before }, ct));

    public async Task<bool> TryDeleteAsync(LeaseMatch match, CancellationToken ct) =>
        (await mongo.Leases.DeleteOneAsync(Filter(match), ct)).DeletedCount == 1;

    public async Task<IReadOnlySet<string>> LeasedByOthersAsync(IReadOnlyCollection<Claim> claims, CancellationToken ct) =>
        (await mongo.Leases.Find(F.In(Leases.Tdql, claims.Select(c => c.TdqlHash)) & F.Nin(Leases.ClaimId, claims.Select(c => Leases.Id(c.ClaimId))))
            .Project(Builders<BsonDocument>.Projection.Include(Leases.Tdql).Exclude("_id")).ToListAsync(ct))
        .Select(l => l[Leases.Tdql].ToString()!).ToHashSet();

    public Task DeleteClaimsAsync(IReadOnlyCollection<Guid> claims, CancellationToken ct) =>
        mongo.Leases.DeleteManyAsync(F.In(Leases.ClaimId, claims.Select(Leases.Id)), ct);

    public Task DeleteAllAsync(IReadOnlyCollection<string> tdqls, CancellationToken ct) =>
        mongo.Leases.DeleteManyAsync(F.In(Leases.Tdql, tdqls), ct);

    public async Task<Lease?> FindAsync(string tdql, Guid claim, CancellationToken ct) =>
        Leases.Read(await mongo.Leases.Find(Leases.Of(tdql, claim)).FirstOrDefaultAsync(ct));

    public async Task<IReadOnlyList<Lease>> ExpiredAsync(Instant now, int limit, CancellationToken ct) =>
        (await mongo.Leases.Find(Leases.ExpiredAt(now)).Sort(Builders<BsonDocument>.Sort.Ascending(Leases.Expires)).Limit(limit).ToListAsync(ct))
        .Select(Leases.Read).OfType<Lease>().ToList();

    public async Task<IReadOnlySet<string>> LiveAsync(IReadOnlyCollection<string> tdqls, Instant now, CancellationToken ct) =>
        tdqls.Count == 0
            ? new HashSet<string>()
            : (await mongo.Leases.Find(F.In(Leases.Tdql, tdqls) & F.Gte(Leases.Expires, now.ToDateTimeUtc()))
                .Project(Builders<BsonDocument>.Projection.Include(Leases.Tdql).Exclude("_id")).ToListAsync(ct))
            .Select(l => l[Leases.Tdql].ToString()!).ToHashSet();

    public async Task<IReadOnlyDictionary<string, int>> InFlightByUserAsync(IReadOnlyCollection<string>? users, CancellationToken ct)
    {
        var filter = F.Ne(Leases.Answered, true) & (users is null ? F.Exists(Leases.User) : F.In(Leases.User, users));
        var leases = await mongo.Leases.Find(filter).Project(Builders<BsonDocument>.Projection.Include(Leases.User).Exclude("_id")).ToListAsync(ct);
        // A lease of an older build has no user, and a damaged one no string: neither counts for anyone.
        return leases.Select(l => l.GetValue(Leases.User, BsonNull.Value)).Where(u => u.IsString)
            .GroupBy(u => u.AsString).ToDictionary(g => g.Key, g => g.Count());
    }

    public Task RecordUndeliveredAsync(UndeliveredReply reply, Instant at, CancellationToken ct) =>
        mongo.UndeliveredReplies.InsertOneAsync(new BsonDocument
        {
            { "tdql", reply.TdqlHash }, { "host", reply.Host }, { "port", reply.Port }, { "failure", reply.Failure }, { "at", at.ToDateTimeUtc() },
        }, cancellationToken: ct);

    private static FilterDefinition<BsonDocument> Filter(LeaseMatch m)
    {
        var filter = m.AsRead is { } read
            ? F.Eq("_id", read.Id) & (read.Version == 0 ? F.Exists(Leases.Version, false) : F.Eq(Leases.Version, read.Version))
            : Leases.Of(m.Tdql, m.Claim!.Value);
        if (m.Answered) filter &= F.Eq(Leases.Answered, true);
        if (m.Socket is { } socket) filter &= F.Eq(Leases.Socket, socket);
        if (m.SendingFreeAt is { } free) filter &= F.Exists(Leases.SendingUntil, false) | F.Lt(Leases.SendingUntil, free.ToDateTimeUtc());
        return filter;
    }

    private static UpdateDefinition<BsonDocument> Update(LeaseChange c)
    {
        var update = U.Inc(Leases.Version, 1L);
        if (c.Expires is { } expires) update = update.Set(Leases.Expires, expires.ToDateTimeUtc());
        if (c.Started is { } started) update = update.Set(Leases.Started, started);
        if (c.Answered is { } answered) update = update.Set(Leases.Answered, answered);
        if (c.SendingUntil is { } until) update = update.Set(Leases.SendingUntil, until.ToDateTimeUtc());
        if (c.Error is { } error) update = update.Set(Leases.LastError, error);
        if (c.Socket is { } socket) update = update.Set(Leases.Socket, socket);
        if (c.TakeOver is { } claim)
        {
            update = update.Set(Leases.ClaimId, Leases.Id(claim.ClaimId)).Set(Leases.Claimed, claim.ClaimedAt.ToDateTimeUtc())
                .Set(Leases.Attempt, claim.Attempt).Set(Leases.Started, false).Set(Leases.Answered, false).Unset(Leases.SendingUntil);
        }
        return update;
    }
}
