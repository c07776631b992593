using System.Text.Json.Serialization;
using Cybex.Report.Testing;

namespace Cybex.Report.Cli.Bench;

/// <summary>Latency percentiles of one run, in milliseconds.</summary>
public sealed record Latency(double Min, double P50, double P95, double P99, double Max)
{
    /// <param name="sorted">The latencies, shortest first.</param>
    public static Latency Of(IReadOnlyList<double> sorted)
    {
        double At(double p) => Math.Round(ReplayRunner.Percentile(sorted, p), 1);
        return new Latency(Math.Round(sorted.FirstOrDefault(), 1), At(0.50), At(0.95), At(0.99), Math.Round(sorted.LastOrDefault(), 1));
    }
}

/// <summary>One answer: when it came (seconds into the measured window) and how long it took (ms).</summary>
public sealed record LatencySample(double AtSeconds, double LatencyMs);

/// <summary>
/// What one bench run measured. CPU is split by process: the worker (its own process, as deployed), the API double
/// and bench itself (this process), and the database server. Database commands come from the worker's own
/// <c>cybex_db_commands</c> counter, by role and collection.
/// </summary>
public sealed record BenchFigures(
    string Via,
    string Mode,
    string? Arrival,
    int? Concurrency,
    int Queries,
    int Answered,
    int Lost,
    int ArchiveDocuments,
    double WallSeconds,
    double ReportsPerSecond,
    Latency LatencyMs,
    double? FirstAnswerMs,
    double WorkerCpuMsPerReport,
    double? DatabaseCpuMsPerReport,
    double BenchCpuMsPerReport,
    IReadOnlyDictionary<string, double> CommandsPerReportByRole,
    double ReportDbScansPerReport,
    double LeaseCommandsPerReport,
    double? IdleCommandsPerSecond,
    double WorkerPeakMemoryMb)
{
    /// <summary>
    /// The time the worker's JIT spent compiling in the window (the runtime's counter, wall clock: a compiling thread
    /// that waits still counts, so it is no share of <see cref="WorkerCpuMsPerReport"/>): code paths met for the
    /// first time, paid once by a worker that keeps running. Null when not exported.
    /// </summary>
    public double? WorkerJitMsPerReport { get; init; }

    /// <summary>The same commands per report by role and collection (<c>"watcher report_db.instance"</c>): where a round trip is spent.</summary>
    public IReadOnlyDictionary<string, double> CommandsPerReportByRoleAndCollection { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// A burst under API arrival: queries written per second, the load the worker was offered. As fast as bench can
    /// write, so it falls as the worker keeps the database busy: the writes and the worker's commands share one server.
    /// </summary>
    public double? ArrivalPerSecond { get; init; }

    /// <summary>With <c>--tenants</c>: the lone user's figures (the rest of the record is the flood's).</summary>
    public TenantFigures? Tenants { get; init; }

    /// <summary>Every answer of the window, in the order they came: what <c>--plot</c> draws; not in the JSON figures.</summary>
    [JsonIgnore]
    public IReadOnlyList<LatencySample> Samples { get; init; } = [];
}

/// <summary>
/// The lone user of <c>bench --tenants</c>: their latency on the idle worker (the median of a few queries asked one by
/// one before the flood), and while the flood ran.
/// </summary>
public sealed record TenantFigures(int LoneQueries, double LoneIdleMs, Latency LoneMs, double WorstOverIdle)
{
    [JsonIgnore]
    public IReadOnlyList<LatencySample> Samples { get; init; } = [];
}
