using Cybex.Report.Cli;
using Cybex.Report.Conformance;
using MongoDB.Driver;

var commands = new Dictionary<string, (string Help, Func<CliArgs, CancellationToken, Task<int>> Run, string[] Flags)>(StringComparer.Ordinal)
{
    ["conformance"] = (ConformanceCommand.Help, ConformanceCommand.RunAsync, []),
    ["replay"] = (ReplayCommand.Help, ReplayCommand.RunAsync, ["with-worker"]),
    ["demo"] = (DemoCommand.Help, DemoCommand.RunAsync, ["keep"]),
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
    Console.Error.WriteLine($"cybex-report: unknown command '{args[0]}'");
    Usage(Console.Error);
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
var verbose = Environment.GetEnvironmentVariable("CYBEX_DEBUG") == "1";
try
{
    return await command.Run(new CliArgs(args.Skip(1), command.Flags.ToHashSet()), cts.Token);
}
catch (Exception e) when (!verbose && e is CliException or FixtureException or ArgumentException or FileNotFoundException or Microsoft.Extensions.Options.OptionsValidationException)
{
    Console.Error.WriteLine($"cybex-report {args[0]}: {e.Message}");
    return 2;
}
catch (Exception e) when (!verbose && e is TimeoutException or MongoException)
{
    Console.Error.WriteLine($"cybex-report {args[0]}: database unreachable or failing: {e.Message.Split('\n')[0]}");
    return 3;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine($"cybex-report {args[0]}: cancelled");
    return 130;
}
