using System.CommandLine;
using Cybex.Report.Cli.Output;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Testing;

namespace Cybex.Report.Cli.Commands;

public static class ReplayCommand
{
    public static Command Create()
    {
        var fixture = CliOptions.Text("--fixture", "FILE", "a fixture file in the shared format (small.json, medium.json, ...)");
        var withWorker = CliOptions.Flag("--with-worker",
            "run the worker host in this process on the real broker ($RABBITMQ_HOST), with its clock frozen at the fixture's frozen_now (recommended: the fixtures depend on it)");
        var timeout = CliOptions.Int("--timeout", 30, 1, 3600, "seconds to wait for each nonce");
        var databases = new DatabaseOptions();
        var command = new Command("replay",
            "Imports the fixture's archive and identity documents into scratch databases, writes every query as the CYBEX-P API would (encrypted with a freshly "
            + "generated key pair), waits for each nonce on its own listener and compares the stored reports with the original's per compatibility.md. "
            + "Last line: 'replay: N passed, M failed, nonces R/N, p50 X ms, p99 Y ms'. Exit code 1 on any failure.")
        {
            fixture, withWorker, timeout,
        };
        fixture.Required(command);
        databases.AddTo(command, urlOnly: true);
        command.SetAction(async (r, ct) =>
        {
            using var progress = new Progress("replay", 1);
            var runner = new ReplayRunner(databases.Url(r), Console.Out)
            {
                NonceTimeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
                Progress = progress.Report,
            };
            var result = await runner.RunAsync(FixtureFile.Load(r.GetValue(fixture)!), r.GetValue(withWorker), null, ct);
            progress.Dispose();
            Console.WriteLine(result.Summary);
            return result.Failed > 0 || result.Nonces < result.Total ? 1 : 0;
        });
        return command;
    }
}
