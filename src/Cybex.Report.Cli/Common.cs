namespace Cybex.Report.Cli;

public static class Common
{
    public static string MongoUrl(CliArgs args) =>
        args.Get("mongo") ?? Environment.GetEnvironmentVariable("MONGO_URL") ?? Storage.MongoOptions.DefaultUrl;

    public const string DatabaseOptionsHelp = """
          --mongo URL           MongoDB connection string (default: $MONGO_URL, else the worker's default)
          --tahoe-db NAME       archive database (default tahoe_db)
          --identity-db NAME    identity database (default identity_db)
          --report-db NAME      report database (default report_db)
        """;

    /// <summary>The databases named by the shared options, with the original's defaults.</summary>
    public static Storage.MongoContext Mongo(CliArgs args)
    {
        var defaults = new Storage.MongoOptions();
        var options = new Storage.MongoOptions
        {
            Url = MongoUrl(args),
            TahoeDatabase = args.Get("tahoe-db") ?? defaults.TahoeDatabase,
            IdentityDatabase = args.Get("identity-db") ?? defaults.IdentityDatabase,
            ReportDatabase = args.Get("report-db") ?? defaults.ReportDatabase,
        };
        return new Storage.MongoContext(options, new Storage.CommandCounter());
    }

    /// <summary>Fails fast with one line when the database does not answer.</summary>
    public static async Task PingAsync(Storage.MongoContext mongo, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await mongo.Client.GetDatabase("admin").RunCommandAsync<MongoDB.Bson.BsonDocument>(new MongoDB.Bson.BsonDocument("ping", 1), cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or MongoDB.Driver.MongoException && !ct.IsCancellationRequested)
        {
            throw new CliException($"database unreachable at {mongo.Options.Url}", 3);
        }
    }

    public static string ReadKeyFile(string path, string what)
    {
        if (!File.Exists(path)) throw new CliException($"{what} key file {path} does not exist (cybex-report keygen writes one)");
        return File.ReadAllText(path);
    }
}
