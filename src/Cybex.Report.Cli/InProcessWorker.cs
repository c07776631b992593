using Cybex.Report.Storage;
using Cybex.Report.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Cybex.Report.Cli;

/// <summary>The worker host run inside the CLI process (replay --with-worker, the demo, bench).</summary>
public static class InProcessWorker
{
    public static async Task<IHost> StartAsync(MongoOptions mongo, string privateKeyFile, string endpointPrefix, IClock clock,
        IDictionary<string, string?>? extra = null, CancellationToken ct = default)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Bus:Transport"] = Environment.GetEnvironmentVariable("Bus__Transport") ?? "RabbitMq",
            ["Bus:Host"] = Environment.GetEnvironmentVariable("RABBITMQ_HOST") ?? "127.0.0.1",
            ["Bus:Port"] = Environment.GetEnvironmentVariable("RABBITMQ_PORT") ?? "5672",
            ["Bus:Username"] = Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest",
            ["Bus:Password"] = Environment.GetEnvironmentVariable("RABBITMQ_PASS") ?? "guest",
            ["Bus:EndpointPrefix"] = endpointPrefix,
            ["Mongo:Url"] = mongo.Url,
            ["Mongo:TahoeDatabase"] = mongo.TahoeDatabase,
            ["Mongo:IdentityDatabase"] = mongo.IdentityDatabase,
            ["Mongo:ReportDatabase"] = mongo.ReportDatabase,
            ["Reports:PrivateKeyFile"] = privateKeyFile,
            ["Api:Host"] = "127.0.0.1",
            ["Worker:PollIdleMilliseconds"] = "1000",
            ["Bus:StartTimeoutSeconds"] = "20",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddReportWorker(builder.Configuration);
        builder.Services.AddSingleton(clock);
        var host = builder.Build();
        await host.StartAsync(ct);
        return host;
    }
}
