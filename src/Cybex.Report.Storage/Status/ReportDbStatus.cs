using Cybex.Report.Domain;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Storage.Identity;
using Cybex.Report.Storage.Quotas;
using Cybex.Report.Storage.Tdqls;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Storage.Status;

/// <summary>Where the queries of report_db stand, for the status command and health.</summary>
public sealed class ReportDbStatus(MongoContext mongo, IClock clock)
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    /// <summary>How many of the first waiting documents are looked at to date the oldest real TDQL.</summary>
    private const int OldestAmong = 10;

    private static Instant? WrittenAt(BsonDocument doc)
    {
        try
        {
            return TahoeTime.FromEpochSeconds(Tdql.Parse(doc).Timestamp);
        }
        catch (Exception e) when (e is TahoeFormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Queries by status (malformed ones apart), leases past expiry, replies given up and recent reports.</summary>
    public async Task<ReportDbSummary> SummaryAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var docs = await mongo.ReportDb.Find(TdqlFilters.Any)
            .Project(Builders<BsonDocument>.Projection.Include("data.status").Include("data.userid").Include(TdqlFilters.MalformedField).Exclude("_id")).ToListAsync(ct);
        // Any document may sit here (a TDQL is hostile input): one without a data object or a status list is "?", not a crash.
        var statuses = docs.Select(d => (Doc: d, Status: d.Contains(TdqlFilters.MalformedField) ? "malformed"
                : d.GetValue("data", BsonNull.Value) is BsonDocument data && data.GetValue("status", BsonNull.Value) is BsonArray { Count: > 0 } s ? s[0].ToString()! : "?")).ToList();
        var byStatus = statuses.GroupBy(d => d.Status).ToDictionary(g => g.Key, g => g.LongCount());
        var expired = await mongo.Leases.CountDocumentsAsync(Leases.ExpiredAt(now), cancellationToken: ct);
        var undelivered = await mongo.UndeliveredReplies.CountDocumentsAsync(F.Empty, cancellationToken: ct);
        var recent = await mongo.ReportDb.Find(TdqlFilters.Reports & F.Gte("timestamp", TahoeTime.ToEpochSeconds(now - Duration.FromMinutes(1))))
            .Project(Builders<BsonDocument>.Projection.Include("sub_type").Exclude("_id")).ToListAsync(ct);
        var lastMinute = recent.GroupBy(r => r.GetValue("sub_type", "?").ToString()!).ToDictionary(g => g.Key, g => g.LongCount());
        // The oldest waiting document that is a TDQL with a time: a broken one is marked malformed by the watcher's
        // next poll and must not hide the real oldest meanwhile.
        var oldestAt = (await new TdqlStore(mongo).WaitingAsync(OldestAmong, ct)).Select(WrittenAt).FirstOrDefault(t => t is not null);
        var orgs = await OrgsAsync(statuses.Where(d => d.Status == Tdql.StatusWait).Select(d => d.Doc), now, ct);
        return new ReportDbSummary(byStatus, expired, undelivered, lastMinute, oldestAt, now, orgs);
    }

    /// <summary>Waiting queries by the org the watcher counts them under (<see cref="FairShare.OrgOf"/>), beside each org's quota.</summary>
    private async Task<List<OrgBacklog>> OrgsAsync(IEnumerable<BsonDocument> waiting, Instant now, CancellationToken ct)
    {
        var identity = new IdentityStore(mongo);
        var byOrg = new Dictionary<string, long>(StringComparer.Ordinal);
        // A user hash that is not a string is the watcher's to mark malformed; it is no org's backlog.
        foreach (var user in waiting.Select(TdqlStore.UserOf).OfType<string>().GroupBy(u => u, StringComparer.Ordinal))
        {
            var org = FairShare.OrgOf(user.Key, (await identity.FindUserAsync(user.Key, ct))?.OrgHashes);
            byOrg[org] = byOrg.GetValueOrDefault(org) + user.LongCount();
        }
        var quotas = await new QuotaStore(mongo).ReadAsync(null, ct);
        return byOrg.Keys.Union(quotas.Keys).Order(StringComparer.Ordinal).Select(org =>
        {
            var backlog = byOrg.GetValueOrDefault(org);
            var quota = quotas.GetValueOrDefault(org)?.Quota;
            return new OrgBacklog(org, backlog, quota?.PerMinute, quota?.UsedAt(now) ?? 0, quota is not null && backlog > 0 && quota.Allowance(now) == 0);
        }).ToList();
    }
}
