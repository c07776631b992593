using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Archive;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Storage.Status;
using Cybex.Report.Storage.Identity;
using Cybex.Report.Storage.Quotas;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Hosting;
using Cybex.Report.Worker.Options;
using Cybex.Report.Worker.Quotas;
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
    public static IServiceCollection AddReportWorkerCore(this IServiceCollection services, IConfiguration configuration) =>
        services.AddReportWorkerCore(HostShape.Read(configuration));

    private static IServiceCollection AddReportWorkerCore(this IServiceCollection services, HostShape shape)
    {
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BusOptions>().BindConfiguration(BusOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ReplyPortMin <= o.ReplyPortMax, "Api:ReplyPortMin must not be above Api:ReplyPortMax").ValidateOnStart();
        services.AddOptions<MongoOptions>().BindConfiguration(MongoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReportOptions>().BindConfiguration(ReportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<KeyOptions>().BindConfiguration(KeyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KeyOptions>, PrivateKeyValidation>();
        services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<QueryOptions>, Querying.TokenSecretValidation>();
        services.AddSingleton<Querying.UserTokens>();
        if (shape.Bus.Transport == TransportKind.RabbitMq)
        {
            services.TryAddSingleton<IQueueConsumerProbe, RabbitQueueConsumerProbe>();
            services.AddSingleton(sp => new Querying.ReplyTargets(sp.GetRequiredService<IOptions<BusOptions>>(), sp.GetRequiredService<IQueueConsumerProbe>()));
        }
        else services.AddSingleton(sp => new Querying.ReplyTargets(sp.GetRequiredService<IOptions<BusOptions>>()));
        services.AddOptions<ObservabilityOptions>().BindConfiguration(ObservabilityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(worker.Value.ShutdownTimeoutSeconds));

        services.AddSingleton<IClock>(SystemClock.Instance);
        services.AddSingleton<CommandCounter>();
        services.AddSingleton(sp => new MongoContext(sp.GetRequiredService<IOptions<MongoOptions>>().Value, sp.GetRequiredService<CommandCounter>()));
        services.AddSingleton<IArchiveReader, ArchiveStore>();
        services.AddSingleton<IIdentityReader>(sp => new IdentityStore(sp.GetRequiredService<MongoContext>(), sp.GetRequiredService<IClock>(),
            Duration.FromSeconds(sp.GetRequiredService<IOptions<IdentityOptions>>().Value.IdentityCacheSeconds)));
        services.AddSingleton<TdqlStore>();
        services.AddSingleton<ITdqlStore>(sp => sp.GetRequiredService<TdqlStore>());
        services.AddSingleton<ILeaseWriter, MongoLeaseWriter>();
        services.AddSingleton<ClaimStore>();
        services.AddSingleton(sp => new ClaimProtocol(sp.GetRequiredService<ClaimStore>(), sp.GetRequiredService<IClock>()));
        services.AddSingleton(sp => new ReportRequestFlow(sp.GetRequiredService<QueryAnswerer>(), sp.GetRequiredService<ClaimProtocol>(),
            Duration.FromSeconds(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.LeaseSeconds), sp.GetRequiredService<IOptions<WorkerOptions>>().Value.MaxAttempts));
        services.AddSingleton(sp => new ReplyFlow(sp.GetRequiredService<ClaimProtocol>(), sp.GetRequiredService<NonceSender>().SendingHold));
        services.AddSingleton<ReportDbStatus>();
        services.AddSingleton<QuotaStore>();
        services.AddSingleton<OrgQuotas>();
        services.AddSingleton(sp => new QueryKey(LoadCipher(sp)));
        services.AddSingleton(sp => new QueryAnswerer(
            sp.GetRequiredService<ITdqlStore>(), sp.GetRequiredService<IIdentityReader>(), sp.GetRequiredService<IArchiveReader>(),
            sp.GetRequiredService<IClock>(), sp.GetRequiredService<QueryKey>().Cipher, sp.GetRequiredService<IOptions<ReportOptions>>().Value));
        services.AddSingleton<NonceSender>();
        services.AddSingleton<WorkerMetrics>();
        services.AddSingleton(sp => new Reporting.UserSlots(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.MaxConcurrentPerUser));
        services.AddHostedService<MongoIndexes>();
        services.AddHostedService<Warmup>();
        services.AddObservability(shape);
        if (shape.Roles.Watcher) services.AddHostedService<TdqlWatcher>();
        return services;
    }

    /// <summary>Health checks (served by <see cref="HealthEndpoints"/>), the Prometheus exporter and OTLP export, each when configured.</summary>
    private static void AddObservability(this IServiceCollection services, HostShape shape)
    {
        var o = shape.Observability;
        services.AddSingleton<WatcherState>();
        // MassTransit adds its own bus check, tagged ready, to these.
        var checks = services.AddHealthChecks().AddCheck<MongoHealthCheck>("mongo", tags: [HealthEndpoints.ReadyTag]);
        if (shape.Roles.Watcher) checks.AddCheck<WatcherHealthCheck>("watcher", tags: [HealthEndpoints.ReadyTag]);
        if (ConsumerWatchdog.QueuesOf(shape.Bus, shape.Roles).Count > 0) checks.AddCheck<ConsumerEndpointsHealthCheck>("consumers", tags: [HealthEndpoints.ReadyTag]);
        if (shape.Roles.QueryConsumer && shape.Bus.Transport == TransportKind.RabbitMq)
        {
            checks.AddCheck<DoorHealthCheck>("door", tags: [HealthEndpoints.ReadyTag]);
        }
        if (o.MetricsPort == 0 && string.IsNullOrEmpty(o.OtlpEndpoint)) return;
        var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService("cybex-report-worker"));
        otel.WithMetrics(m =>
        {
            // System.Runtime: .NET's own GC, thread-pool, JIT and exception instruments.
            m.AddMeter(WorkerMetrics.MeterName, "MassTransit", "System.Runtime");
            if (o.MetricsPort > 0) m.AddPrometheusExporter();
            if (!string.IsNullOrEmpty(o.OtlpEndpoint)) m.AddOtlpExporter(e => e.Endpoint = new Uri(o.OtlpEndpoint));
        });
        if (!string.IsNullOrEmpty(o.OtlpEndpoint))
        {
            otel.WithTracing(t => t.AddSource("MassTransit").AddOtlpExporter(e => e.Endpoint = new Uri(o.OtlpEndpoint)));
        }
    }

    /// <summary>The consumers this process runs, by role, with their definitions (endpoint names, limits, retry).</summary>
    public static void AddReportConsumers(this IBusRegistrationConfigurator bus, WorkerOptions roles)
    {
        bus.SetKebabCaseEndpointNameFormatter();
        if (roles.ReportConsumer) bus.AddConsumer<ReportRequestedConsumer, ReportRequestedConsumerDefinition>();
        if (roles.ReplyConsumer) bus.AddConsumer<ReplyConsumer, ReplyConsumerDefinition>();
        if (roles.QueryConsumer) bus.AddConsumer<Querying.SubmitReportQueryConsumer, Querying.SubmitReportQueryConsumerDefinition>();
    }

    /// <summary>The whole worker: core services plus MassTransit on RabbitMQ (default) or in memory.</summary>
    public static IServiceCollection AddReportWorker(this IServiceCollection services, IConfiguration configuration)
    {
        var shape = HostShape.Read(configuration);
        services.AddReportWorkerCore(shape);
        var (roles, busOptions, _) = shape;
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<BusOptions>, IOptions<WorkerOptions>>((o, bus, worker) =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(bus.Value.StartTimeoutSeconds);
            o.StopTimeout = TimeSpan.FromSeconds(worker.Value.ShutdownTimeoutSeconds);
        });
        services.AddMassTransit(x =>
        {
            x.AddReportConsumers(roles);
            x.AddConfigureEndpointsCallback((ctx, _, endpoint) =>
            {
                var o = ctx.GetRequiredService<IOptions<BusOptions>>().Value;
                if (!o.UseQuorumQueues || endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit) return;
                // Replicated on the cluster's nodes, so a node's loss loses no request; the delivery limit bounds a
                // message that crashes every consumer it reaches, beside the consumer's own retries.
                rabbit.SetQuorumQueue();
                rabbit.SetQueueArgument("x-delivery-limit", o.QuorumDeliveryLimit);
            });
            if (busOptions.Transport == TransportKind.InMemory)
            {
                x.UsingInMemory((ctx, cfg) => cfg.ConfigureEndpoints(ctx));
                return;
            }
            x.UsingRabbitMq((ctx, cfg) =>
            {
                var o = ctx.GetRequiredService<IOptions<BusOptions>>().Value;
                var nodes = o.Nodes();
                cfg.Host(nodes[0].Host, (ushort)nodes[0].Port, o.VirtualHost, h =>
                {
                    h.Username(o.Username);
                    h.Password(o.Password);
                    // A cluster: MassTransit connects to one node and moves to the next when it goes.
                    if (o.Hosts.Length > 0) h.UseCluster(c => { foreach (var (host, port) in nodes) c.Node($"{host}:{port}"); });
                });
                cfg.ConfigureEndpoints(ctx);
            });
        });
        if (busOptions.Transport == TransportKind.RabbitMq && busOptions.WatchdogRestartAfterSeconds > 0
            && Health.ConsumerWatchdog.QueuesOf(busOptions, roles).Count > 0)
        {
            services.AddSingleton<Health.ConsumerWatchdog>();
            services.AddHostedService(sp => sp.GetRequiredService<Health.ConsumerWatchdog>());
        }
        return services;
    }

    /// <summary>Null only when the operator allowed running without a key; any other problem was refused at start.</summary>
    private static QueryCipher? LoadCipher(IServiceProvider sp)
    {
        PrivateKey.TryLoad(sp.GetRequiredService<IOptions<KeyOptions>>().Value, out var cipher, out var error);
        if (error is not null) throw new OptionsValidationException(KeyOptions.Section, typeof(KeyOptions), [error]);
        if (cipher is null) sp.GetRequiredService<ILoggerFactory>().CreateLogger("Cybex.Report.Worker").LogWarning("Running without a private key: encrypted queries fail");
        return cipher;
    }
}
