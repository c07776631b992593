using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Configuration;

namespace Cybex.Report.Worker.Hosting;

/// <summary>
/// What decides which services the host has at all: its roles, its transport and its endpoints. MassTransit and
/// OpenTelemetry register consumers, transports and exporters before the container exists, so this is read from
/// configuration once, here, at registration; every running service reads its bound and validated options instead.
/// </summary>
public sealed record HostShape(WorkerOptions Roles, BusOptions Bus, ObservabilityOptions Observability)
{
    public static HostShape Read(IConfiguration configuration) => new(
        configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions(),
        configuration.GetSection(BusOptions.Section).Get<BusOptions>() ?? new BusOptions(),
        configuration.GetSection(ObservabilityOptions.Section).Get<ObservabilityOptions>() ?? new ObservabilityOptions());
}
