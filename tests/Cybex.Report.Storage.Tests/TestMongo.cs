using Cybex.Report.Storage;

namespace Cybex.Report.Storage.Tests;

/// <summary>Scratch databases on the server named by MONGO_URL (tests/services.sh starts one).</summary>
public sealed class TestMongo : IAsyncDisposable
{
    public static string Url =>
        Environment.GetEnvironmentVariable("MONGO_URL") ?? "mongodb://127.0.0.1:27017/?directConnection=true&serverMonitoringMode=poll";

    public TestMongo()
    {
        var prefix = $"t{Guid.NewGuid():N}"[..16];
        Options = new MongoOptions { Url = Url, TahoeDatabase = prefix + "_tahoe", IdentityDatabase = prefix + "_identity", ReportDatabase = prefix + "_report" };
        Context = new MongoContext(Options, new CommandCounter());
    }

    public MongoOptions Options { get; }

    public MongoContext Context { get; }

    public async ValueTask DisposeAsync()
    {
        foreach (var db in new[] { Options.TahoeDatabase, Options.IdentityDatabase, Options.ReportDatabase })
        {
            await Context.Client.DropDatabaseAsync(db);
        }
    }
}
