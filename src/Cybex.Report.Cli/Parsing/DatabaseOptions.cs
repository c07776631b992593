using System.CommandLine;
using Cybex.Report.Storage;

namespace Cybex.Report.Cli.Parsing;

/// <summary><c>--mongo</c> and the three database names, shared by every command that touches the databases.</summary>
public sealed class DatabaseOptions
{
    private static readonly MongoOptions Defaults = new();

    public Option<string?> Mongo { get; } = new("--mongo")
    {
        Description = "MongoDB connection string (default: $MONGO_URL, else the worker's default)",
        HelpName = "URL",
    };

    public Option<string> TahoeDb { get; } = CliOptions.Text("--tahoe-db", "NAME", "archive database", Defaults.TahoeDatabase);

    public Option<string> IdentityDb { get; } = CliOptions.Text("--identity-db", "NAME", "identity database", Defaults.IdentityDatabase);

    public Option<string> ReportDb { get; } = CliOptions.Text("--report-db", "NAME", "report database", Defaults.ReportDatabase);

    /// <param name="urlOnly">Commands that make scratch databases of their own take only <c>--mongo</c>.</param>
    public DatabaseOptions AddTo(Command command, bool urlOnly = false)
    {
        command.Add(Mongo);
        if (urlOnly) return this;
        command.Add(TahoeDb);
        command.Add(IdentityDb);
        command.Add(ReportDb);
        return this;
    }

    public string Url(ParseResult r) => r.GetValue(Mongo) ?? Environment.GetEnvironmentVariable("MONGO_URL") ?? MongoOptions.DefaultUrl;

    /// <summary>The databases named by the options, with the original's defaults.</summary>
    public MongoContext Context(ParseResult r) => new(new MongoOptions
    {
        Url = Url(r),
        TahoeDatabase = r.GetValue(TahoeDb)!,
        IdentityDatabase = r.GetValue(IdentityDb)!,
        ReportDatabase = r.GetValue(ReportDb)!,
    }, new CommandCounter());
}
