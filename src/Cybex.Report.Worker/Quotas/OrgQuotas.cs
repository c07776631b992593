using System.Diagnostics;
using Cybex.Report.Storage.Quotas;
using Cybex.Report.Worker.Health;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Cybex.Report.Worker.Quotas;

/// <summary>
/// The operators' per-org quotas as the watcher and the bus door apply them. Which orgs have one is read at most
/// every few seconds (a quota set takes effect that soon), so orgs without one cost nothing; a quota itself is read
/// fresh whenever it is about to be spent, because other workers spend it too.
/// </summary>
public sealed class OrgQuotas(QuotaStore store, IClock clock, WorkerMetrics metrics, ILogger<OrgQuotas> logger)
{
    private static readonly TimeSpan KnownFor = TimeSpan.FromSeconds(5);
    private static readonly IReadOnlyDictionary<string, StoredQuota> None = new Dictionary<string, StoredQuota>();
    private readonly SemaphoreSlim _reading = new(1, 1);
    private IReadOnlySet<string> _known = new HashSet<string>();
    private long? _knownAt;

    /// <summary>The quotas of those of <paramref name="orgs"/> that have one, as they stand now.</summary>
    public async Task<IReadOnlyDictionary<string, StoredQuota>> OfAsync(IEnumerable<string> orgs, CancellationToken ct)
    {
        var known = await KnownAsync(ct);
        var wanted = orgs.Where(known.Contains).Distinct().ToList();
        return wanted.Count == 0 ? None : await store.ReadAsync(wanted, ct);
    }

    /// <summary>Spends <paramref name="count"/> of the quota's allowance; false when another worker wrote it since it was read (try again later).</summary>
    public Task<bool> TryTakeAsync(StoredQuota quota, int count, CancellationToken ct) => store.TryTakeAsync(quota, count, clock.GetCurrentInstant(), ct);

    /// <summary>
    /// Spends one of the org's allowance for a query that does not wait in report_db (the bus door's): null when it
    /// may be claimed now (or the org has no quota), else when the quota allows the next one.
    /// </summary>
    public async Task<Instant?> TakeOneAsync(string org, CancellationToken ct)
    {
        // A few tries: another worker spending the same quota at the same moment is no reason to turn the query away.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if ((await OfAsync([org], ct)).GetValueOrDefault(org) is not { } quota) return null;
            var now = clock.GetCurrentInstant();
            if (quota.Quota.Allowance(now) == 0)
            {
                Held(quota, true);
                return quota.Quota.FreesAt(now);
            }
            if (await TryTakeAsync(quota, 1, ct))
            {
                Held(quota, false);
                return null;
            }
        }
        return clock.GetCurrentInstant() + Duration.FromSeconds(1);
    }

    /// <summary>Whether an org is held at its quota now: a metric always, a log line when it changes.</summary>
    public void Held(StoredQuota quota, bool over)
    {
        if (!metrics.OverQuota(quota.Quota.Org, over)) return;
        if (over) logger.LogInformation("Org {Org} is at its quota of {PerMinute} queries a minute; its queries wait", quota.Quota.Org, quota.Quota.PerMinute);
        else logger.LogInformation("Org {Org} is under its quota again", quota.Quota.Org);
    }

    private async Task<IReadOnlySet<string>> KnownAsync(CancellationToken ct)
    {
        if (_knownAt is { } at && Stopwatch.GetElapsedTime(at) < KnownFor) return _known;
        await _reading.WaitAsync(ct);
        try
        {
            if (_knownAt is { } again && Stopwatch.GetElapsedTime(again) < KnownFor) return _known;
            _known = (await store.ReadAsync(null, ct)).Keys.ToHashSet(StringComparer.Ordinal);
            _knownAt = Stopwatch.GetTimestamp();
            return _known;
        }
        finally
        {
            _reading.Release();
        }
    }
}
