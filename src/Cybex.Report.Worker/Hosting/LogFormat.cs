using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Cybex.Report.Worker.Hosting;

/// <summary>
/// <c>Logging:Format</c>: <c>json</c> for one JSON object per line on the console (containers, log shippers), with
/// the log scopes, so every line about a query carries its TDQL hash; anything else or nothing keeps .NET's console
/// format. It names the console formatter, as <c>Logging:Console:FormatterName</c> would, in one short key.
/// </summary>
public static class LogFormat
{
    public const string Key = "Logging:Format";

    public static void Apply(ILoggingBuilder logging, IConfiguration configuration)
    {
        if (!string.Equals(configuration[Key], "json", StringComparison.OrdinalIgnoreCase)) return;
        logging.AddJsonConsole();
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Json);
        logging.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
    }
}
