using System.CommandLine;
using System.Text.Json;
using Cybex.Report.Cli.Output;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Testing;
using Spectre.Console;
using Progress = Cybex.Report.Cli.Output.Progress;

namespace Cybex.Report.Cli.Commands;

public static class ConformanceCommand
{
    public static Command Create()
    {
        var fixture = CliOptions.Text("--fixture", "FILE", "a fixture file in the shared format (small.json, medium.json, ...)");
        var json = CliOptions.Flag("--json", "print the summary as JSON on stdout (mismatch lines go to stderr)");
        var databases = new DatabaseOptions();
        var command = new Command("conformance",
            "Loads a fixture (archive, identity, queries and the original's reports) into scratch databases, answers every query with the worker's own code at the "
            + "fixture's frozen clock, compares per compatibility.md and drops the scratch databases. Prints one line per mismatch, the database commands per report "
            + "type, and last 'conformance: N passed, M failed'. Exit code 1 when M > 0.")
        {
            fixture, json,
        };
        fixture.Required(command);
        databases.AddTo(command, urlOnly: true);
        command.SetAction((r, ct) => RunAsync(FixtureFile.Load(r.GetValue(fixture)!), r.GetValue(json), databases.Url(r), ct));
        return command;
    }

    private static async Task<int> RunAsync(FixtureFile fixture, bool json, string mongo, CancellationToken ct)
    {
        ConformanceResult result;
        using (var progress = new Progress("conformance", 1))
        {
            result = await new ConformanceRunner(mongo, json ? Console.Error : Console.Out) { Progress = progress.Report }.RunAsync(fixture, ct);
        }
        var byType = result.CommandsByType.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
        {
            var sorted = kv.Value.Order().ToList();
            return (Type: kv.Key, Median: sorted[sorted.Count / 2], Max: sorted[^1], Reports: sorted.Count, SlowestMs: result.MillisecondsByType[kv.Key].Max());
        }).ToList();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                passed = result.Passed,
                failed = result.Failed,
                commands_per_report = byType.ToDictionary(t => t.Type, t => new { median = t.Median, max = t.Max, reports = t.Reports, slowest_ms = Math.Round(t.SlowestMs, 1) }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else if (Terminal.OutIsTerminal)
        {
            var table = new Table().AddColumns("report type", "commands (median)", "commands (max)", "reports", "slowest ms");
            foreach (var t in byType) table.AddRow(t.Type, $"{t.Median}", $"{t.Max}", $"{t.Reports}", $"{t.SlowestMs:0}");
            Terminal.Out.Write(table);
            Terminal.Out.MarkupLine(result.Failed > 0 ? $"[red]conformance: {result.Passed} passed, {result.Failed} failed[/]" : $"[green]conformance: {result.Passed} passed, {result.Failed} failed[/]");
        }
        else
        {
            foreach (var t in byType) Console.WriteLine($"database commands per {t.Type} report: median {t.Median}, max {t.Max} ({t.Reports} reports, slowest {t.SlowestMs:0} ms)");
            Console.WriteLine($"conformance: {result.Passed} passed, {result.Failed} failed");
        }
        return result.Failed > 0 ? 1 : 0;
    }
}
