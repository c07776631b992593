using Cybex.Report.Cli.Commands;
using Cybex.Report.Cli;
using Cybex.Report.Testing;
using MongoDB.Driver;

var commands = new Dictionary<string, (string Help, Func<CliArgs, CancellationToken, Task<int>> Run, string[] Flags)>(StringComparer.Ordinal)
{
    ["conformance"] = (ConformanceCommand.Help, ConformanceCommand.RunAsync, []),
    ["replay"] = (ReplayCommand.Help, ReplayCommand.RunAsync, ["with-worker"]),
    ["demo"] = (DemoCommand.Help, DemoCommand.RunAsync, ["keep"]),
    ["bench"] = (BenchCommand.Help, BenchCommand.RunAsync, ["reference-suite"]),
    ["keygen"] = (KeygenCommand.Help, KeygenCommand.RunAsync, ["force"]),
    ["import"] = (ImportCommand.Help, ImportCommand.RunAsync, []),
    ["seed-demo"] = (SeedDemoCommand.Help, SeedDemoCommand.RunAsync, []),
    ["submit"] = (SubmitCommand.Help, SubmitCommand.RunAsync, ["wait"]),
    ["status"] = (StatusCommand.Help, StatusCommand.RunAsync, []),
    ["requeue"] = (RequeueCommand.Help, RequeueCommand.RunAsync, ["failed", "stuck"]),
};

void Usage(TextWriter w)
{
    w.WriteLine("usage: cybex-report COMMAND [options]   (cybex-report COMMAND --help for its options)");
    w.WriteLine("commands: " + string.Join(", ", commands.Keys));
}

if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
{
    Usage(Console.Out);
    return args.Length == 0 ? 2 : 0;
}
if (!commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine($"cybex-report: unknown command '{args[0]}' (commands: {string.Join(", ", commands.Keys)})");
    return 2;
}
if (args.Skip(1).Any(a => a is "--help" or "-h"))
{
    Console.WriteLine(command.Help);
    return 0;
}
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
// A service manager or `kill` stops long-running commands (demo --keep) as cleanly as Ctrl+C.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cts.Cancel();
});
var verbose = Environment.GetEnvironmentVariable("CYBEX_DEBUG") == "1";
try
{
    return await command.Run(new CliArgs(args.Skip(1), command.Flags.ToHashSet()), cts.Token);
}
catch (Exception e) when (!verbose && e is CliException or FixtureException or ArgumentException or FileNotFoundException
                           or Microsoft.Extensions.Options.OptionsValidationException or Cybex.Report.Domain.Queries.QueryDecodeException)
{
    Console.Error.WriteLine($"cybex-report {args[0]}: {e.Message}");
    return e is CliException c ? c.ExitCode : 2;
}
catch (Exception e) when (!verbose && e is TimeoutException or MongoException)
{
    Console.Error.WriteLine($"cybex-report {args[0]}: database unreachable or failing: {e.Message.Split('\n')[0]}");
    return 3;
}
catch (Exception e) when (!verbose && e is MassTransit.MassTransitException or MassTransit.RabbitMqConnectionException
                           || (e is OperationCanceledException && !cts.IsCancellationRequested))
{
    Console.Error.WriteLine($"cybex-report {args[0]}: message broker unreachable or failing: {e.Message.Split('\n')[0]}");
    return 4;
}
catch (OperationCanceledException e)
{
    if (verbose) Console.Error.WriteLine(e);
    Console.Error.WriteLine($"cybex-report {args[0]}: cancelled");
    return 130;
}
