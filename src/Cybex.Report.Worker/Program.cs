using Cybex.Report.Worker.Health;
using Cybex.Report.Worker.Hosting;
using Cybex.Report.Worker.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// The container health check runs the same binary: ask the running worker whether it is ready, and exit.
if (args.Contains("--health-check"))
{
    var port = int.TryParse(Environment.GetEnvironmentVariable("Observability__HealthPort"), out var p) && p > 0 ? p : 8080;
    return await HealthEndpoints.ProbeAsync(port);
}

var builder = WebApplication.CreateSlimBuilder(args);
// Secrets are files, one per key (Bus__Password is Bus:Password), as container secrets mount them: passwords and
// connection strings then never sit in the environment or in a compose file.
var secrets = Environment.GetEnvironmentVariable("CYBEX_SECRETS_DIR") ?? "/run/secrets";
builder.Configuration.AddKeyPerFile(secrets, optional: true);
LogFormat.Apply(builder.Logging, builder.Configuration);
await using var app = WorkerHost.Build(builder);
try
{
    await app.StartAsync();
}
catch (Exception e)
{
    var (code, message) = StartupFailure.Describe(e, HostShape.Read(builder.Configuration).Bus);
    Console.Error.WriteLine($"cybex-report-worker: {message}");
    return code;
}
await app.WaitForShutdownAsync();
return 0;
