using Cybex.Report.Worker;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddReportWorker(builder.Configuration);
using var host = builder.Build();
await host.RunAsync();
