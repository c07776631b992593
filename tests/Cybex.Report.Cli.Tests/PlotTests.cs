using Cybex.Report.Cli.Bench;
using Cybex.Report.Cli.Output;
using Cybex.Report.Storage.Status;
using NodaTime;
using Spectre.Console;
using Xunit;

namespace Cybex.Report.Cli.Tests;

public class PlotTests
{
    private static BenchFigures Figures(string via, double rps, int n) => new(via, "burst", via == "bus" ? null : "api", null, n, n, 0, 800, n / rps, rps,
        new Latency(5, 10, 20, 30, 40), 5, 3, 3, 1, new Dictionary<string, double>(), 2, 4, 1, 100)
    {
        Samples = Enumerable.Range(0, n).Select(i => new LatencySample(i / rps, 5 + i % 37 + (via == "bus" ? 0 : 20))).ToList(),
    };

    [Fact]
    public void The_latency_plot_draws_every_run_of_a_bench()
    {
        var png = Path.Combine(Path.GetTempPath(), $"latency-{Guid.NewGuid():N}.png");
        try
        {
            BenchPlot.Latency([Figures("tdql", 60, 200), Figures("bus", 180, 200)], png);
            PlotFiles.AssertPng(png, 1200, 900);
        }
        finally
        {
            File.Delete(png);
        }
    }

    [Fact]
    public void The_reference_plot_draws_the_original_beside_this_run()
    {
        var png = Path.Combine(Path.GetTempPath(), $"reference-{Guid.NewGuid():N}.png");
        try
        {
            BenchPlot.Reference([("burst of 50", 3.7, Figures("tdql", 40, 50)), ("burst of 200", 13, Figures("tdql", 128, 200)), ("burst of 1000", 4.4, Figures("tdql", 122, 1000))], png);
            PlotFiles.AssertPng(png, 1200, 650);
        }
        finally
        {
            File.Delete(png);
        }
    }

    [Fact]
    public void The_status_view_on_a_terminal_is_tables_of_the_same_figures()
    {
        var now = Instant.FromUnixTimeSeconds(1_700_000_000);
        var summary = new ReportDbSummary(new Dictionary<string, long> { ["ready"] = 41, ["wait"] = 2 }, 1, 0, new Dictionary<string, long> { ["count"] = 120 },
            now - Duration.FromSeconds(12), now, [new OrgBacklog("786c017c5ded735d8ed9bd91db129b6a880939245fb240f33b9a601b7e01e44a", 2, 30, 30, true)]);
        var snapshot = new StatusSnapshot("report_db", summary, [new QueueFigures("report-requested", 7, 2), new QueueFigures("report-requested_error", 1, 0)], null);
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 160;

        console.Write(StatusView.Render(snapshot));

        var screen = text.ToString();
        foreach (var shown in new[] { "41", "report-requested_error", "12 s ago", "count 2", "stuck (lease expired)", "786c017c5ded735d", "throttled" }) Assert.Contains(shown, screen);
        Assert.Contains("│", screen);
        Assert.True(snapshot.NeedsAttention);
        Assert.Equal(1, snapshot.ErrorMessages);
    }
}
