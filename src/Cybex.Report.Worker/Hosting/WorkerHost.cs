using System.Net;
using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Cybex.Report.Worker.Hosting;

/// <summary>
/// The worker on ASP.NET Core's minimal host, as the container and the tests' in-process workers run it: the
/// worker's services, then Kestrel on the health and metrics ports, or no HTTP server at all when both are 0.
/// </summary>
public static class WorkerHost
{
    /// <param name="replacements">Services replaced after the worker's own (test doubles, a frozen clock).</param>
    public static WebApplication Build(WebApplicationBuilder builder, Action<IServiceCollection>? replacements = null)
    {
        builder.Services.AddReportWorker(builder.Configuration);
        replacements?.Invoke(builder.Services);
        var o = HostShape.Read(builder.Configuration).Observability;
        var ports = new[] { o.HealthPort, o.MetricsPort }.Where(p => p > 0).Distinct().ToList();
        if (ports.Count == 0) builder.Services.AddSingleton<IServer, NoServer>();
        else builder.WebHost.ConfigureKestrel(k =>
        {
            foreach (var port in ports) Listen(k, o.ListenHost, port);
        });
        var app = builder.Build();
        app.MapWorkerEndpoints(o);
        return app;
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions k, string host, int port)
    {
        if (host is "0.0.0.0" or "*" or "+") k.ListenAnyIP(port);
        else if (host == "localhost") k.ListenLocalhost(port);
        else if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, port);
        else throw new StartupException(StartupException.Configuration, $"Observability:ListenHost '{host}' is not an IP address, localhost or 0.0.0.0");
    }

    /// <summary>Most in-process workers (tests) serve no endpoint: they open no port either.</summary>
    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() { }
    }
}
