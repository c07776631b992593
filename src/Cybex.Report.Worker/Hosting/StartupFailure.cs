using Cybex.Report.Worker.Options;
using Microsoft.Extensions.Options;

namespace Cybex.Report.Worker.Hosting;

/// <summary>
/// Turns what stopped the start into one line for the operator and an exit code (2 configuration, 3 database,
/// 4 broker, 1 anything else), instead of an unhandled exception and the runtime's abort (134).
/// </summary>
public static class StartupFailure
{
    public static (int ExitCode, string Message) Describe(Exception e, BusOptions bus)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case StartupException s:
                    return (s.ExitCode, s.Message);
                case OptionsValidationException o:
                    return (StartupException.Configuration, "invalid configuration: " + string.Join("; ", o.Failures));
            }
            var ns = x.GetType().Namespace ?? "";
            if (ns.StartsWith("MassTransit", StringComparison.Ordinal) || ns.StartsWith("RabbitMQ", StringComparison.Ordinal))
            {
                return (StartupException.Broker, $"broker unreachable at {bus.Where} (virtual host '{bus.VirtualHost}'): {Root(e).Message}");
            }
            if (ns.StartsWith("MongoDB", StringComparison.Ordinal))
            {
                return (StartupException.Database, $"database unreachable: {Root(e).Message}");
            }
        }
        // MassTransit gives up waiting for the broker with a plain cancellation once Bus:StartTimeoutSeconds pass.
        if (e is OperationCanceledException or TimeoutException)
        {
            return (StartupException.Broker, $"broker not reachable within Bus:StartTimeoutSeconds ({bus.StartTimeoutSeconds} s) at {bus.Where}");
        }
        return (1, $"the worker could not start: {e.GetType().Name}: {e.Message}");
    }

    private static Exception Root(Exception e) => e.InnerException is null ? e : Root(e.InnerException);
}
