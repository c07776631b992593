using System.CommandLine;
using System.CommandLine.Invocation;
using Cybex.Report.Cli;
using Cybex.Report.Cli.Commands;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Testing;
using MongoDB.Driver;

var root = new RootCommand("cybex-report: the operator tool of Cybex Report Bus. Exit codes: 0 done, 1 the command's own failure (see its help), 2 bad input, 3 database unreachable, 4 broker unreachable, 130 cancelled.")
{
    StatusCommand.Create(),
    RequeueCommand.Create(),
    QuotaCommand.Create(),
    SubmitCommand.Create(),
    KeygenCommand.Create(),
    ImportCommand.Create(),
    SeedDemoCommand.Create(),
    DemoCommand.Create(),
    BenchCommand.Create(),
    ReplayCommand.Create(),
    ConformanceCommand.Create(),
};
var parsed = root.Parse(args);
// Help, --version and completions run even on an incomplete line; every other error is one line and exit code 2.
if (parsed.Action is ParseErrorAction || (parsed.Errors.Count > 0 && parsed.Action is null))
{
    Console.Error.WriteLine(ParseErrors.OneLine(parsed, root));
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
// A service manager or `kill` stops long-running commands (demo --keep, status --watch) as cleanly as Ctrl+C.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cts.Cancel();
});
var name = parsed.CommandResult.Command.Name;
var verbose = Environment.GetEnvironmentVariable("CYBEX_DEBUG") == "1";
// Cancellation and failures are the tool's own: one line and the documented exit code, not the parser's handler.
var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
try
{
    return await parsed.InvokeAsync(invocation, cts.Token);
}
catch (Exception e) when (!verbose && e is CliException or FixtureException or ArgumentException or FileNotFoundException
                           or Microsoft.Extensions.Options.OptionsValidationException or Cybex.Report.Domain.Queries.QueryDecodeException)
{
    Console.Error.WriteLine($"cybex-report {name}: {e.Message}");
    return e is CliException c ? c.ExitCode : 2;
}
catch (Exception e) when (!verbose && e is TimeoutException or MongoException)
{
    Console.Error.WriteLine($"cybex-report {name}: database unreachable or failing: {e.Message.Split('\n')[0]}");
    return 3;
}
catch (Exception e) when (!verbose && e is MassTransit.MassTransitException or MassTransit.RabbitMqConnectionException
                           || (e is OperationCanceledException && !cts.IsCancellationRequested))
{
    Console.Error.WriteLine($"cybex-report {name}: message broker unreachable or failing: {e.Message.Split('\n')[0]}");
    return 4;
}
catch (OperationCanceledException e)
{
    if (verbose) Console.Error.WriteLine(e);
    Console.Error.WriteLine($"cybex-report {name}: cancelled");
    return 130;
}
