using Cybex.Report.Testing;
using NodaTime;
using System.CommandLine;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Storage;

namespace Cybex.Report.Cli.Commands;

public static class SeedDemoCommand
{
    public static Command Create()
    {
        var events = CliOptions.Int("--events", 300, 1, 1_000_000, "number of events (about 2.7 documents each)");
        var seed = CliOptions.Int("--seed", 2021, 0, int.MaxValue, "random seed");
        var databases = new DatabaseOptions();
        var command = new Command("seed-demo",
            "Writes a realistic demo archive (events of three orgs with nested objects, malicious and benign contexts, sessions) and its users and orgs. "
            + "Users: alice@cybex.example (org-a), bob@ (org-a, org-b), carol@ (org-b, honeynet), dave@ (no org). Documents are upserted by _hash: running it twice is safe.")
        {
            events, seed,
        };
        databases.AddTo(command);
        command.SetAction((r, ct) => RunAsync(r.GetValue(events), r.GetValue(seed), databases.Context(r), ct));
        return command;
    }

    private static async Task<int> RunAsync(int events, int seed, MongoContext mongo, CancellationToken ct)
    {
        await Common.PingAsync(mongo, ct);
        var archive = DemoArchive.Generate(events, seed, SystemClock.Instance.GetCurrentInstant());
        await WriteAsync(mongo, archive, "seed", ct);
        Console.WriteLine($"seeded {archive.ArchiveDocs.Count} archive documents ({events} events) and {archive.IdentityDocs.Count} identity documents");
        Console.WriteLine($"users: {string.Join(", ", archive.UserHashes.Keys.Select(u => u + "@cybex.example"))}");
        return 0;
    }

    /// <summary>A generated archive into the archive and identity databases (seed-demo, demo, bench), with progress.</summary>
    public static async Task WriteAsync(MongoContext mongo, GeneratedArchive archive, string label, CancellationToken ct)
    {
        await ImportCommand.Upsert(mongo.Archive, archive.ArchiveDocs, $"{label}: archive", ct);
        await ImportCommand.Upsert(mongo.Identity, archive.IdentityDocs, $"{label}: identities", ct);
    }
}
