using Cybex.Report.Storage;
using Cybex.Report.Storage.Reports;
using Cybex.Report.Tahoe.Query;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Hosting;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Replying;
using Cybex.Report.Worker.Reporting;
using Cybex.Report.Worker.Watching;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cybex.Report.Worker;

public static class WorkerRegistration
{
    /// <summary>Options, storage, report pipeline, reply sender and (when its role is on) the watcher.</summary>
    public static IServiceCollection AddReportWorkerCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BusOptions>().BindConfiguration(BusOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ReplyPortMin <= o.ReplyPortMax, "Api:ReplyPortMin must not be above Api:ReplyPortMax").ValidateOnStart();
        services.AddOptions<MongoOptions>().BindConfiguration(MongoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReportOptions>().BindConfiguration(ReportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReportOptions>, PrivateKeyValidation>();
        services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(worker.Value.ShutdownTimeoutSeconds));

        services.AddSingleton<IClock>(SystemClock.Instance);
        services.AddSingleton<CommandCounter>();
        services.AddSingleton(sp => new MongoContext(sp.GetRequiredService<IOptions<MongoOptions>>().Value, sp.GetRequiredService<CommandCounter>()));
        services.AddSingleton<ArchiveStore>();
        services.AddSingleton(sp => new IdentityStore(sp.GetRequiredService<MongoContext>(),
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ReportOptions>>().Value.IdentityCacheSeconds)));
        services.AddSingleton<ReportStore>();
        services.AddSingleton<ILeaseWriter, MongoLeaseWriter>();
        services.AddSingleton<ClaimStore>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ReportOptions>>().Value);
        services.AddSingleton<ReportGenerator>();
        services.AddSingleton(sp => new QueryKey(LoadCipher(sp)));
        services.AddSingleton(sp => new ReportProcessor(
            sp.GetRequiredService<ReportStore>(), sp.GetRequiredService<IdentityStore>(), sp.GetRequiredService<ReportGenerator>(),
            sp.GetRequiredService<IClock>(), sp.GetRequiredService<QueryKey>().Cipher, sp.GetRequiredService<ReportOptions>()));
        services.AddSingleton<NonceSender>();
        services.AddSingleton<WorkerMetrics>();
        services.AddHostedService<MongoIndexes>();
        services.AddHostedService<Warmup>();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ObservabilityOptions>().BindConfiguration(ObservabilityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddObservability(configuration);

        if (Roles(configuration).Watcher) services.AddHostedService<ArchiveWatcher>();
        return services;
    }

    /// <summary>Health endpoint, Prometheus scrape endpoint and OTLP export, each when configured.</summary>
    private static void AddObservability(this IServiceCollection services, IConfiguration configuration)
    {
        var o = new ObservabilityOptions();
        configuration.GetSection(ObservabilityOptions.Section).Bind(o);
        if (o.HealthPort > 0)
        {
            services.AddSingleton<HealthProbe>();
            services.AddHostedService<HealthEndpoint>();
        }
        if (o.MetricsPort == 0 && string.IsNullOrEmpty(o.OtlpEndpoint)) return;
        var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService("cybex-report-worker"));
        otel.WithMetrics(m =>
        {
            m.AddMeter(WorkerMetrics.MeterName, "MassTransit");
            if (o.MetricsPort > 0)
            {
                var host = o.ListenHost is "0.0.0.0" or "*" ? "+" : o.ListenHost;
                m.AddPrometheusHttpListener(p =>
                {
                    p.Host = host;
                    p.Port = o.MetricsPort;
                });
            }
            if (!string.IsNullOrEmpty(o.OtlpEndpoint)) m.AddOtlpExporter(e => e.Endpoint = new Uri(o.OtlpEndpoint));
        });
        if (!string.IsNullOrEmpty(o.OtlpEndpoint))
        {
            otel.WithTracing(t => t.AddSource("MassTransit").AddOtlpExporter(e => e.Endpoint = new Uri(o.OtlpEndpoint)));
        }
    }

    public static WorkerOptions Roles(IConfiguration configuration)
    {
        var roles = new WorkerOptions();
        configuration.GetSection(WorkerOptions.Section).Bind(roles);
        return roles;
    }

    /// <summary>The consumers this process runs, by role, with their definitions (endpoint names, limits, retry).</summary>
    public static void AddReportConsumers(this IBusRegistrationConfigurator bus, WorkerOptions roles)
    {
        bus.SetKebabCaseEndpointNameFormatter();
        if (roles.ReportConsumer) bus.AddConsumer<ReportRequestedConsumer, ReportRequestedConsumerDefinition>();
        if (roles.ReplyConsumer) bus.AddConsumer<ReportCompletedConsumer, ReportCompletedConsumerDefinition>();
        if (roles.QueryConsumer) bus.AddConsumer<Querying.SubmitReportQueryConsumer, Querying.SubmitReportQueryConsumerDefinition>();
    }

    /// <summary>The whole worker: core services plus MassTransit on RabbitMQ (default) or in memory.</summary>
    public static IServiceCollection AddReportWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddReportWorkerCore(configuration);
        var roles = Roles(configuration);
        var busOptions = new BusOptions();
        configuration.GetSection(BusOptions.Section).Bind(busOptions);
        services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(busOptions.StartTimeoutSeconds);
            o.StopTimeout = TimeSpan.FromSeconds(roles.ShutdownTimeoutSeconds);
        });
        services.AddMassTransit(x =>
        {
            x.AddReportConsumers(roles);
            if (busOptions.Transport == TransportKind.InMemory)
            {
                x.UsingInMemory((ctx, cfg) => cfg.ConfigureEndpoints(ctx));
                return;
            }
            x.UsingRabbitMq((ctx, cfg) =>
            {
                var o = ctx.GetRequiredService<IOptions<BusOptions>>().Value;
                cfg.Host(o.Host, (ushort)o.Port, o.VirtualHost, h =>
                {
                    h.Username(o.Username);
                    h.Password(o.Password);
                });
                cfg.ConfigureEndpoints(ctx);
            });
        });
        if (busOptions.Transport == TransportKind.RabbitMq && busOptions.WatchdogRestartAfterSeconds > 0
            && Bus.ConsumerWatchdog.QueuesOf(busOptions, roles).Count > 0)
        {
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton<Bus.IQueueConsumerProbe, Bus.RabbitQueueConsumerProbe>();
            services.AddSingleton<Bus.ConsumerWatchdog>();
            services.AddHostedService(sp => sp.GetRequiredService<Bus.ConsumerWatchdog>());
        }
        return services;
    }

    /// <summary>Null only when the operator allowed running without a key; any other problem was refused at start.</summary>
    private static QueryCipher? LoadCipher(IServiceProvider sp)
    {
        PrivateKey.TryLoad(sp.GetRequiredService<ReportOptions>(), out var cipher, out var error);
        if (error is not null) throw new OptionsValidationException(ReportOptions.Section, typeof(ReportOptions), [error]);
        if (cipher is null) sp.GetRequiredService<ILoggerFactory>().CreateLogger("Cybex.Report.Worker").LogWarning("Running without a private key: encrypted queries fail");
        return cipher;
    }
}

/// <summary>Checks the private key at start, so a key that cannot work stops the worker with a message naming the file.</summary>
internal sealed class PrivateKeyValidation : IValidateOptions<ReportOptions>
{
    public ValidateOptionsResult Validate(string? name, ReportOptions options) =>
        PrivateKey.TryLoad(options, out _, out var error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error!);
}

/// <summary>Creates the indexes the report queries and the watcher use, once at start.</summary>
internal sealed class MongoIndexes(MongoContext mongo, ILogger<MongoIndexes> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!mongo.Options.CreateIndexes) return;
        try
        {
            await mongo.EnsureIndexesAsync(cancellationToken);
        }
        catch (MongoDB.Driver.MongoException e)
        {
            // Index creation can fail against duplicates already in report_db; queries still work without it.
            logger.LogWarning("Could not create indexes: {Reason}", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
