namespace Cybex.Report.Cli;

public static class Common
{
    public const string DefaultMongoUrl = "mongodb://127.0.0.1:27017/?directConnection=true&serverMonitoringMode=poll";

    public static string MongoUrl(CliArgs args) =>
        args.Get("mongo") ?? Environment.GetEnvironmentVariable("MONGO_URL") ?? DefaultMongoUrl;
}
