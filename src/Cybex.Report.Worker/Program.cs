using Cybex.Report.Worker;
using Cybex.Report.Worker.Health;
using Microsoft.Extensions.Hosting;

// The container health check runs the same binary: ask the running worker's endpoint and exit.
if (args.Contains("--health-check"))
{
    var port = int.TryParse(Environment.GetEnvironmentVariable("Observability__HealthPort"), out var p) && p > 0 ? p : 8080;
    return await HealthEndpoint.ProbeAsync(port);
}

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddReportWorker(builder.Configuration);
using var host = builder.Build();
await host.RunAsync();
return 0;
