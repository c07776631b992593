using Cybex.Report.Testing;
using NodaTime;

namespace Cybex.Report.Cli.Commands;

public static class SeedDemoCommand
{
    public const string Help = $"""
        cybex-report seed-demo [--events N] [--seed S] [database options]
          Writes a realistic demo archive (events of three orgs with nested objects, malicious and benign
          contexts, sessions) and its users and orgs. Users: alice@cybex.example (org-a), bob@ (org-a, org-b),
          carol@ (org-b, honeynet), dave@ (no org). Documents are upserted by _hash: running it twice is safe.
          --events N   number of events (default 300, about 800 documents)
          --seed S     random seed (default 2021)
        {Common.DatabaseOptionsHelp}
        """;

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var events = args.GetInt("events", 300, 1, 1_000_000);
        var seed = args.GetInt("seed", 2021, 0, int.MaxValue);
        var mongo = Common.Mongo(args);
        args.EnsureAllUsed();
        await Common.PingAsync(mongo, ct);
        var archive = DemoArchive.Generate(events, seed, SystemClock.Instance.GetCurrentInstant());
        await ImportCommand.Upsert(mongo.Archive, archive.ArchiveDocs, ct);
        await ImportCommand.Upsert(mongo.Identity, archive.IdentityDocs, ct);
        Console.WriteLine($"seeded {archive.ArchiveDocs.Count} archive documents ({events} events) and {archive.IdentityDocs.Count} identity documents");
        Console.WriteLine($"users: {string.Join(", ", archive.UserHashes.Keys.Select(u => u + "@cybex.example"))}");
        return 0;
    }
}
