using Cybex.Report.Testing;

namespace Cybex.Report.Cli.Commands;

public static class ReplayCommand
{
    public const string Help = """
        cybex-report replay --fixture FILE [--with-worker] [--mongo URL] [--timeout SECONDS]
          Imports the fixture's archive and identity documents into scratch databases, writes every query as
          the CYBEX-P API would (encrypted with a freshly generated key pair), waits for each nonce on its own
          listener and compares the stored reports with the original's per compatibility.md.
          --with-worker    run the worker host in this process on the real broker ($RABBITMQ_HOST), with its
                           clock frozen at the fixture's frozen_now (recommended: the fixtures depend on it)
          --mongo URL      MongoDB connection string (default: $MONGO_URL)
          --timeout S      seconds to wait for each nonce (default 30)
        Last line: 'replay: N passed, M failed, nonces R/N, p50 X ms, p99 Y ms'. Exit code 1 on any failure.
        """;

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var fixture = FixtureFile.Load(args.Require("fixture"));
        var withWorker = args.Has("with-worker");
        var mongo = Common.MongoUrl(args);
        var timeout = args.GetInt("timeout", 30, 1, 3600);
        args.EnsureAllUsed();
        var runner = new ReplayRunner(mongo, Console.Out) { NonceTimeout = TimeSpan.FromSeconds(timeout) };
        var result = await runner.RunAsync(fixture, withWorker, null, ct);
        Console.WriteLine(result.Summary);
        return result.Failed > 0 || result.Nonces < result.Total ? 1 : 0;
    }
}
