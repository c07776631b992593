using System.Globalization;

namespace Cybex.Report.Cli.Bench;

/// <summary>One figure of a comparison: each build's median over the pairs, and the median of the pairs' ratios (this build over the other).</summary>
public sealed record ComparedFigure(string Figure, double This, double Other, double MedianRatio);

/// <summary>
/// <c>bench --compare DIR</c>: this build's worker and another build's, run one after the other on the same machine,
/// alternating which goes first (ABBA), N pairs. A ratio quoted from it compares runs minutes apart on one machine,
/// never figures of different days or machines, whose absolute times differ two- or threefold.
/// </summary>
public sealed record BenchComparison(string OtherWorker, IReadOnlyList<BenchFigures> This, IReadOnlyList<BenchFigures> Other, IReadOnlyList<ComparedFigure> Figures)
{
    /// <summary>The figures compared; lower is better for all but reports/s.</summary>
    private static readonly (string Name, Func<BenchFigures, double?> Of)[] Compared =
    [
        ("reports_per_second", f => f.ReportsPerSecond),
        ("arrival_per_second", f => f.ArrivalPerSecond),
        ("worker_cpu_ms_per_report", f => f.WorkerCpuMsPerReport),
        ("worker_jit_ms_per_report", f => f.WorkerJitMsPerReport),
        ("latency_p50_ms", f => f.LatencyMs.P50),
        ("latency_p95_ms", f => f.LatencyMs.P95),
        ("first_answer_ms", f => f.FirstAnswerMs),
        ("report_db_scans_per_report", f => f.ReportDbScansPerReport),
        ("lease_commands_per_report", f => f.LeaseCommandsPerReport),
        ("lone_user_p50_ms", f => f.Tenants?.LoneMs.P50),
        ("lone_user_p50_over_idle", f => f.Tenants is { LoneIdleMs: > 0 } t ? Math.Round(t.LoneMs.P50 / t.LoneIdleMs, 2) : null),
    ];

    public static async Task<BenchComparison> RunAsync(BenchConfig config, string mongoUrl, string? thisWorker, string otherWorker, int pairs, TextWriter output, CancellationToken ct)
    {
        var (ours, theirs) = (new List<BenchFigures>(), new List<BenchFigures>());
        for (var pair = 0; pair < pairs; pair++)
        {
            // Which goes first alternates, so a machine warming up or a database growing between runs favours neither.
            foreach (var ourTurn in pair % 2 == 0 ? new[] { true, false } : [false, true])
            {
                output.WriteLine($"== pair {pair + 1} of {pairs}: {(ourTurn ? "this build" : $"other build ({otherWorker})")}");
                var figures = await BenchRunner.RunAsync(config, mongoUrl, ourTurn ? thisWorker : otherWorker, output, ct);
                output.WriteLine(Line(figures));
                (ourTurn ? ours : theirs).Add(figures);
            }
        }
        var compared = new List<ComparedFigure>();
        foreach (var (name, of) in Compared)
        {
            var ratios = ours.Zip(theirs, (a, b) => of(a) is { } x && of(b) is { } y && y != 0 ? x / y : (double?)null).OfType<double>().ToList();
            if (ratios.Count == 0) continue;
            compared.Add(new ComparedFigure(name, Median(ours.Select(of).OfType<double>()), Median(theirs.Select(of).OfType<double>()), Math.Round(Median(ratios), 3)));
        }
        return new BenchComparison(otherWorker, ours, theirs, compared);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        var mid = sorted.Count / 2;
        return Math.Round(sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2, 2);
    }

    private static string Line(BenchFigures f) => string.Create(CultureInfo.InvariantCulture,
        $"   {f.ReportsPerSecond} r/s{(f.ArrivalPerSecond is { } a ? $" (written {a}/s)" : "")}, worker {f.WorkerCpuMsPerReport} ms/report, p50 {f.LatencyMs.P50} ms, first answer {f.FirstAnswerMs?.ToString(CultureInfo.InvariantCulture) ?? "n/a"} ms, {f.ReportDbScansPerReport} scans/report, {f.Lost} lost");

    public IEnumerable<string> Lines()
    {
        yield return $"{"figure",-28} {"this build",12} {"other build",12} {"median ratio",13}";
        foreach (var f in Figures) yield return string.Create(CultureInfo.InvariantCulture, $"{f.Figure,-28} {f.This,12} {f.Other,12} {f.MedianRatio,12}x");
        yield return $"ratio = this build / other build, the median of {This.Count} pairs run one after the other on this machine";
    }
}
