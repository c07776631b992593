using System.Text;
using Cybex.Report.Conformance;
using Cybex.Report.Storage;
using Cybex.Report.Tahoe;
using Cybex.Report.Tahoe.Documents;
using Cybex.Report.Tahoe.Json;
using Cybex.Report.Tahoe.Query;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Cli;

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
        if (qtype is not ("count" or "related" or "threatrank")) throw new CliException("--type must be count, related or threatrank");
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
        var store = new ReportStore(mongo);
        if (via == "bus") return await BusSubmit.RunAsync(store, publicKey, qtype, qdata, userId, wait, timeout, format, ct);
        using var pending = await new QuerySubmitter(store, publicKey, SystemClock.Instance).SubmitAsync(qtype, qdata, userId, ct);
        Console.Error.WriteLine($"submitted {qtype} query as {email}: TDQL {pending.TdqlHash}");
        if (!wait) return 0;
        if (!await pending.WaitAsync(TimeSpan.FromSeconds(timeout), ct))
        {
            Console.Error.WriteLine($"no reply within {timeout} s: is a worker running on these databases? (cybex-report status)");
            return 1;
        }
        var tdql = Tdql.Parse((await store.FindTdqlAsync(pending.TdqlHash, ct))!);
        var report = await store.FindReportAsync(tdql.ReportId, ct) ?? throw new CliException("the reply came but the report is missing");
        Console.WriteLine(format == "table" ? ReportPrinter.Table(report, tdql.Status) : ReportPrinter.Json(report));
        return tdql.Status == Tdql.StatusReady ? 0 : 1;
    }
}

/// <summary>Reports for people: indented JSON, or a readable table.</summary>
public static class ReportPrinter
{
    public static string Json(BsonDocument report) =>
        report.ToJson(new MongoDB.Bson.IO.JsonWriterSettings { Indent = true, OutputMode = MongoDB.Bson.IO.JsonOutputMode.RelaxedExtendedJson });

    public static string Table(BsonDocument report, string status)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{report["sub_type"]} report {report["_hash"].AsString[..12]}…  status {status}  page {report["current_page"]} (next {report["next_page"]})");
        var data = report["data"];
        switch (data.BsonType)
        {
            case BsonType.Document:
                var width = data.AsBsonDocument.Names.DefaultIfEmpty("").Max(n => n.Length);
                foreach (var el in data.AsBsonDocument)
                {
                    var values = el.Value.IsBsonArray ? el.Value.AsBsonArray.Select(Cell) : [Cell(el.Value)];
                    sb.AppendLine($"  {el.Name.PadRight(width)}  {string.Join(", ", values)}");
                }
                if (data.AsBsonDocument.ElementCount == 0) sb.AppendLine("  (nothing related)");
                break;
            case BsonType.Array:
                foreach (var doc in data.AsBsonArray.Select(v => v.AsBsonDocument))
                {
                    sb.AppendLine($"  {doc["itype"],-9} {doc["sub_type"],-18} {(doc["itype"] == "attribute" ? Cell(doc["data"]) : doc["_hash"].AsString[..16] + "…")}");
                }
                break;
            default:
                sb.AppendLine($"  {Cell(data)}");
                break;
        }
        return sb.ToString().TrimEnd();
    }

    private static string Cell(BsonValue v) => v.BsonType switch
    {
        BsonType.String => v.AsString,
        BsonType.Array => string.Join(" ← ", v.AsBsonArray.Select(Cell)),
        _ => PyRepr.Of(v),
    };
}
