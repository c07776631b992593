using Cybex.Report.Testing;

namespace Cybex.Report.Cli.Commands;

public static class ConformanceCommand
{
    public const string Help = """
        cybex-report conformance --fixture FILE [--mongo URL]
          Loads a fixture (archive, identity, queries and the original's reports) into scratch databases,
          answers every query with the worker's own code at the fixture's frozen clock, compares per
          compatibility.md and drops the scratch databases.
          --fixture FILE  a fixture file in the shared format (small.json, medium.json, ...)
          --mongo URL     MongoDB connection string (default: $MONGO_URL)
        Prints one line per mismatch, the database commands per report type, and last
        'conformance: N passed, M failed'. Exit code 1 when M > 0.
        """;

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var fixture = FixtureFile.Load(args.Require("fixture"));
        var mongo = Common.MongoUrl(args);
        args.EnsureAllUsed();
        var result = await new ConformanceRunner(mongo, Console.Out).RunAsync(fixture, ct);
        foreach (var (qtype, counts) in result.CommandsByType.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var sorted = counts.Order().ToList();
            var ms = result.MillisecondsByType[qtype];
            Console.WriteLine($"database commands per {qtype} report: median {sorted[sorted.Count / 2]}, max {sorted[^1]} ({sorted.Count} reports, slowest {ms.Max():0} ms)");
        }
        Console.WriteLine($"conformance: {result.Passed} passed, {result.Failed} failed");
        return result.Failed > 0 ? 1 : 0;
    }
}
