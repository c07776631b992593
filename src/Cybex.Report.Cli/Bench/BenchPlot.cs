using System.Globalization;
using ScottPlot;

namespace Cybex.Report.Cli.Bench;

/// <summary>bench's pictures (ScottPlot, PNG): a run's latency over time and its distribution; the reference suite against the original.</summary>
public static class BenchPlot
{
    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Two panels: every answer's latency at the moment it came, and how the latencies spread; one colour per run.</summary>
    public static void Latency(IReadOnlyList<BenchFigures> runs, string path)
    {
        var all = runs.SelectMany(r => r.Samples).Select(s => s.LatencyMs).ToList();
        var (min, max) = all.Count == 0 ? (0.0, 1.0) : (all.Min(), Math.Max(all.Max(), all.Min() + 1));
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var overTime = multiplot.GetPlot(0);
        var spread = multiplot.GetPlot(1);
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var label = Invariant($"via {run.Via}, {run.Mode}{(run.Concurrency is { } c ? $" x{c}" : "")}: {run.ReportsPerSecond} r/s, p50 {run.LatencyMs.P50} ms, p99 {run.LatencyMs.P99} ms");
            var color = Palette.GetColor(i);
            var points = overTime.Add.ScatterPoints(run.Samples.Select(s => s.AtSeconds).ToArray(), run.Samples.Select(s => s.LatencyMs).ToArray(), color);
            points.LegendText = run.Tenants is null ? label : $"the flood (one user): {label}";
            points.MarkerSize = 4;
            if (run.Tenants is { } t)
            {
                var lone = overTime.Add.ScatterPoints(t.Samples.Select(s => s.AtSeconds).ToArray(), t.Samples.Select(s => s.LatencyMs).ToArray(), Palette.GetColor(3));
                lone.LegendText = Invariant($"a lone user of another org, one query a second: p50 {t.LoneMs.P50} ms, max {t.LoneMs.Max} ms (idle {t.LoneIdleMs} ms)");
                lone.MarkerSize = 9;
            }
            if (run.Samples.Count == 0) continue;
            // One bin range for every run, so their bars line up.
            var histogram = ScottPlot.Statistics.Histogram.WithBinCount(Math.Clamp(all.Count / 5, 5, 60), min, max);
            histogram.AddRange(run.Samples.Select(s => s.LatencyMs));
            var edges = histogram.Edges;
            var bars = spread.Add.Bars(histogram.Counts.Select((count, b) => new Bar
            {
                Position = (edges[b] + edges[b + 1]) / 2,
                Size = edges[b + 1] - edges[b],
                Value = count,
                FillColor = color.WithAlpha(runs.Count > 1 ? 0.6 : 1),
                LineWidth = 0,
            }).ToList());
            bars.LegendText = label;
        }
        var first = runs[0];
        overTime.Title(Invariant($"bench: {first.Queries} queries, {first.ArchiveDocuments} archive documents; latency from the TDQL written to its nonce, or from the request to its response"));
        overTime.XLabel("seconds into the run (when the answer came)");
        overTime.YLabel("latency (ms)");
        overTime.ShowLegend(Alignment.UpperLeft);
        spread.XLabel("latency (ms)");
        spread.YLabel("answers");
        spread.ShowLegend(Alignment.UpperRight);
        multiplot.SavePng(path, 1200, 900);
    }

    /// <summary>Reports/s of the original's reference runs (its stored figures) beside this run's, with the ratio over each pair.</summary>
    public static void Reference(IReadOnlyList<(string Name, double OriginalReportsPerSecond, BenchFigures Ours)> runs, string path)
    {
        var plot = new Plot();
        var original = new List<Bar>();
        var ours = new List<Bar>();
        for (var i = 0; i < runs.Count; i++)
        {
            var (_, rps, figures) = runs[i];
            original.Add(new Bar { Position = i * 3, Value = rps, FillColor = Palette.GetColor(7), Label = Invariant($"{rps}") });
            ours.Add(new Bar
            {
                Position = i * 3 + 1,
                Value = figures.ReportsPerSecond,
                FillColor = Palette.GetColor(0),
                Label = Invariant($"{figures.ReportsPerSecond:0.#} ({figures.ReportsPerSecond / rps:0.#}x)"),
            });
        }
        var left = plot.Add.Bars(original);
        left.LegendText = "original worker (stored figures)";
        var right = plot.Add.Bars(ours);
        right.LegendText = "Cybex Report Bus (this run)";
        plot.Axes.Bottom.SetTicks(runs.Select((_, i) => i * 3 + 0.5).ToArray(), runs.Select(r => r.Name).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title("bench --reference-suite: reports per second");
        plot.YLabel("reports/s");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1200, 650);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
