namespace Cybex.Report.Cli.Bench;

/// <summary>A bench run's shape.</summary>
/// <param name="Via"><c>tdql</c> (written as the API writes them, answered by nonce) or <c>bus</c> (SubmitReportQuery).</param>
/// <param name="Warmup">Queries answered one by one before the measured window.</param>
/// <param name="Workers">Worker processes, each with every role, competing as replicas do.</param>
/// <param name="BusHosts">The broker cluster's nodes (<c>host:port,host:port</c>); null: the single broker.</param>
/// <param name="Arrival"><c>api</c>: TDQLs land as the API writes them, one query at a time, its TDQL and then each
/// child its own command; <c>bulk</c>: a burst lands as one insert (the case a watcher poll handles best).</param>
/// <param name="Rate">With <c>api</c> arrival in a burst: queries written per second (a steady load); null: as fast as they can be written.</param>
/// <param name="Tenants">The burst is one user's flood (alice, org-a), and a lone user of other orgs (carol) asks one
/// query a second while it runs; the lone user's latencies are kept apart, beside their idle latency.</param>
/// <param name="MaxInFlightPerUser">The worker's <c>Worker:MaxInFlightPerUser</c>; null: its default.</param>
public sealed record BenchConfig(int Events, int Queries, string Mode, int Concurrency, int RelatedPercent, int IdleSeconds, string Via = "tdql", int Warmup = 0,
    int Workers = 1, string? BusHosts = null, string Arrival = "api", double? Rate = null, bool Tenants = false, int? MaxInFlightPerUser = null);
