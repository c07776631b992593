namespace Cybex.Report.Cli;

public static class Common
{
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
