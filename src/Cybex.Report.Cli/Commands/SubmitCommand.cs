using Cybex.Report.Cli.Output;
using Cybex.Report.Storage.Tdqls;
using System.Text;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Queries;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Cli.Commands;

public static class SubmitCommand
{
    public const string Help = $$"""
        cybex-report submit --type count|related|threatrank --query JSON [--user EMAIL] [--via tdql|bus] [--wait] [options]
          --via tdql (default) does what the CYBEX-P API does for POST /query: canonical qdata, qhash, encryption
          with the public key, a TDQL with socket and nonce in the report database; with --wait it listens for
          the nonce and prints the report. --via bus sends the encrypted query as a SubmitReportQuery message
          (RabbitMQ from RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER, RABBITMQ_PASS, RABBITMQ_VHOST) and, with
          --wait, prints the report from the ReportReady or ReportRejected response.
          --query JSON          the qdata, e.g. '{"sub_type":"ipv4","data":"203.0.113.45","level":2}'
          --user EMAIL          the requesting user (default alice@cybex.example, from seed-demo)
          --public-key FILE     the API's public key (default secrets/pub.pem)
          --wait                wait for the worker's reply and print the report
          --timeout S           seconds to wait (default 30)
          --format json|table   report output (default json)
        {{Common.DatabaseOptionsHelp}}
        Exit codes: 0 report ready, 1 report failed or no reply in time, 2 bad input, 3 database unreachable.
        """;

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var qtype = args.Require("type");
        if (!ReportTypes.IsKnown(qtype)) throw new CliException("--type must be count, related or threatrank");
        var queryText = args.Require("query");
        if (!PyJsonReader.TryParse(queryText, out var qdata) || !qdata.IsBsonDocument) throw new CliException("--query is not a JSON object");
        var email = args.Get("user") ?? "alice@cybex.example";
        var publicKey = QueryCipher.FromPem(Common.ReadKeyFile(args.Get("public-key") ?? Path.Combine("secrets", "pub.pem"), "public"));
        var wait = args.Has("wait");
        var via = args.Get("via") ?? "tdql";
        if (via is not ("tdql" or "bus")) throw new CliException("--via must be tdql or bus");
        var timeout = args.GetInt("timeout", 30, 1, 3600);
        var format = args.Get("format") ?? "json";
        if (format is not ("json" or "table")) throw new CliException("--format must be json or table");
        var mongo = Common.Mongo(args);
        args.EnsureAllUsed();
        await Common.PingAsync(mongo, ct);

        var userId = TahoeHash.User("cybexp_user", email);
        var store = new TdqlStore(mongo);
        if (via == "bus") return await BusSubmit.RunAsync(store, publicKey, qtype, qdata, userId, wait, timeout, format, ct);
        using var pending = await new QuerySubmitter(store, publicKey, SystemClock.Instance).SubmitAsync(qtype, qdata, userId, ct);
        Console.Error.WriteLine($"submitted {qtype} query as {email}: TDQL {pending.TdqlHash}");
        if (!wait) return 0;
        if (!await pending.WaitAsync(TimeSpan.FromSeconds(timeout), ct))
        {
            Console.Error.WriteLine($"no reply within {timeout} s: is a worker running on these databases? (cybex-report status)");
            return 1;
        }
        var tdql = (await store.FindAsync(pending.TdqlHash, ct))!.Tdql;
        var report = await store.FindReportAsync(tdql.ReportId, ct) ?? throw new CliException("the reply came but the report is missing");
        Console.WriteLine(format == "table" ? ReportPrinter.Table(report, tdql.Status) : ReportPrinter.Json(report));
        return tdql.Status == Tdql.StatusReady ? 0 : 1;
    }
}
