using Cybex.Report.Storage;
using Cybex.Report.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>The worker host run inside another process: tests, replay --with-worker, the demo and bench.</summary>
public static class InProcessWorker
{
    /// <summary>A worker on the broker named by the RABBITMQ_* variables, against the given databases.</summary>
    public static Dictionary<string, string?> Settings(MongoOptions mongo, string privateKeyFile, string endpointPrefix) => new()
    {
        ["Bus:Transport"] = Environment.GetEnvironmentVariable("Bus__Transport") ?? "RabbitMq",
        ["Bus:Host"] = Environment.GetEnvironmentVariable("RABBITMQ_HOST") ?? "127.0.0.1",
        ["Bus:Port"] = Environment.GetEnvironmentVariable("RABBITMQ_PORT") ?? "5672",
        ["Bus:Username"] = Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest",
        ["Bus:Password"] = Environment.GetEnvironmentVariable("RABBITMQ_PASS") ?? "guest",
        ["Bus:EndpointPrefix"] = endpointPrefix,
        ["Bus:StartTimeoutSeconds"] = "20",
        ["Mongo:Url"] = mongo.Url,
        ["Mongo:TahoeDatabase"] = mongo.TahoeDatabase,
        ["Mongo:IdentityDatabase"] = mongo.IdentityDatabase,
        ["Mongo:ReportDatabase"] = mongo.ReportDatabase,
        ["Reports:PrivateKeyFile"] = privateKeyFile,
        ["Api:Host"] = "127.0.0.1",
    };

    /// <param name="clock">The whole worker's clock (a frozen one for fixtures whose answers depend on "now").</param>
    /// <param name="logging">Where the host logs; warnings to the console when not given.</param>
    /// <param name="services">Replacements of the worker's services (test doubles).</param>
    public static async Task<IHost> StartAsync(IDictionary<string, string?> settings, IClock clock, Action<ILoggingBuilder>? logging = null,
        Action<IServiceCollection>? services = null, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Only the given settings: the test process's environment and files must not shape its workers.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logging is null) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        else logging(builder.Logging);
        var host = WorkerHost.Build(builder, s =>
        {
            s.AddSingleton(clock);
            services?.Invoke(s);
        });
        await host.StartAsync(ct);
        return host;
    }
}
