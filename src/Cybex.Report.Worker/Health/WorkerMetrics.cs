using System.Diagnostics.Metrics;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Storage;

namespace Cybex.Report.Worker.Health;

/// <summary>The worker's own instruments (MassTransit adds its own under the "MassTransit" meter).</summary>
public sealed class WorkerMetrics : IDisposable
{
    public const string MeterName = "Cybex.Report";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _reports;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _commands;
    private readonly Counter<long> _replies;
    private readonly Counter<long> _claims;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _busRestarts;
    private readonly UpDownCounter<long> _unannounced;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _busQueries;
    private readonly Counter<long> _orgClaims;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _overQuota = new(StringComparer.Ordinal);

    public WorkerMetrics(CommandCounter commands)
    {
        // What each part of the worker costs the database, by collection: how the report_db scans are counted.
        _meter.CreateObservableCounter("cybex_db_commands", () => commands.ByRole.Select(kv =>
            new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("role", kv.Key.Role), new KeyValuePair<string, object?>("collection", kv.Key.Collection))),
            description: "Database commands by worker role and collection");
        _reports = _meter.CreateCounter<long>("cybex_reports", description: "Reports finished, by type and status");
        _duration = _meter.CreateHistogram<double>("cybex_report_duration", "ms", "Time to generate and store one report");
        _commands = _meter.CreateHistogram<long>("cybex_report_db_commands", description: "Database commands per report");
        _replies = _meter.CreateCounter<long>("cybex_replies", description: "Nonce replies sent or refused");
        _claims = _meter.CreateCounter<long>("cybex_claims", description: "TDQLs claimed by the watcher (new or re-claimed leases)");
        _lag = _meter.CreateHistogram<double>("cybex_watcher_lag", "ms", "Time from a TDQL's creation to its claim");
        _busRestarts = _meter.CreateCounter<long>("cybex_bus_restarts", description: "Bus restarts by the consumer watchdog");
        _dropped = _meter.CreateCounter<long>("cybex_requests_dropped", description: "Report requests dropped without work (stale or duplicate claim, redo, malformed), by reason");
        _malformed = _meter.CreateCounter<long>("cybex_tdql_malformed", description: "TDQL documents marked malformed (or duplicate) by the watcher");
        _busQueries = _meter.CreateCounter<long>("cybex_bus_queries", description: "Report queries answered on the bus, by result (ready, rejected, unauthenticated, throttled, over_quota or malformed)");
        // Orgs by hash only: names never leave the identity database.
        _orgClaims = _meter.CreateCounter<long>("cybex_org_claims", description: "New claims by org (its hash)");
        _meter.CreateObservableGauge("cybex_org_over_quota", () => _overQuota.Select(kv => new Measurement<int>(kv.Value, new KeyValuePair<string, object?>("org", kv.Key))),
            description: "1 while an org with a quota is at it and its queries wait, else 0, by org (its hash)");
        _unannounced = _meter.CreateUpDownCounter<long>("cybex_watcher_unannounced", description: "Claims waiting for the broker to be announced");
    }

    public void ReportFinished(string qtype, string status, TimeSpan duration, long commands, bool reannounced)
    {
        var type = new KeyValuePair<string, object?>("type", ReportTypes.IsKnown(qtype) ? qtype : "other");
        _reports.Add(1, type, new("status", status), new("reannounced", reannounced));
        _duration.Record(duration.TotalMilliseconds, type);
        _commands.Record(commands, type);
    }

    /// <summary>One reply: <c>sent</c>, <c>refused</c> (not an allowed target), <c>undelivered</c> (the API had gone) or <c>duplicate</c> (already sent for its claim).</summary>
    public void Reply(string result) => _replies.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Malformed() => _malformed.Add(1);

    public void BusQuery(string result) => _busQueries.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Claimed(bool reclaim, TimeSpan lag)
    {
        _claims.Add(1, new KeyValuePair<string, object?>("kind", reclaim ? "reclaim" : "new"));
        if (!reclaim) _lag.Record(Math.Max(0, lag.TotalMilliseconds));
    }

    public void OrgClaimed(string org, int count) => _orgClaims.Add(count, new KeyValuePair<string, object?>("org", org));

    /// <summary>Sets whether an org is held at its quota; true when that changed it (an org first seen under its quota counts as no change).</summary>
    public bool OverQuota(string org, bool over)
    {
        var now = over ? 1 : 0;
        // The watcher and the bus door both set it: the lock keeps "changed" true for one of them only.
        lock (_overQuota)
        {
            var was = _overQuota.GetValueOrDefault(org);
            _overQuota[org] = now;
            return was != now;
        }
    }

    public void BusRestarted() => _busRestarts.Add(1);

    public void Unannounced(long change) => _unannounced.Add(change);

    public void Dispose() => _meter.Dispose();
}
