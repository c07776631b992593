using Cybex.Report.Storage;

namespace Cybex.Report.Testing;

/// <summary>
/// Three databases of their own (tahoe, identity, report) on the server named by MONGO_URL, for one test, one
/// replay or one bench run, dropped on dispose. Their name prefix also names the run's queues.
/// </summary>
public sealed class ScratchDatabases : IAsyncDisposable
{
    public ScratchDatabases(string kind, string? url = null)
    {
        Name = $"{kind}{Guid.NewGuid():N}"[..(kind.Length + 12)];
        Options = new MongoOptions
        {
            Url = url ?? ServerUrl, TahoeDatabase = Name + "_tahoe", IdentityDatabase = Name + "_identity", ReportDatabase = Name + "_report",
        };
        Mongo = new MongoContext(Options, new CommandCounter());
    }

    /// <summary>The server tests and tools use: MONGO_URL (tests/services.sh prints it), else the worker's default.</summary>
    public static string ServerUrl => Environment.GetEnvironmentVariable("MONGO_URL") ?? MongoOptions.DefaultUrl;

    public string Name { get; }

    public MongoOptions Options { get; }

    public MongoContext Mongo { get; }

    public async ValueTask DisposeAsync()
    {
        foreach (var db in new[] { Options.TahoeDatabase, Options.IdentityDatabase, Options.ReportDatabase })
        {
            await Mongo.Client.DropDatabaseAsync(db, CancellationToken.None);
        }
    }
}
