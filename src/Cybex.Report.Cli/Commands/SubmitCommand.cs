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
using System.CommandLine;
using Cybex.Report.Cli.Parsing;

namespace Cybex.Report.Cli.Commands;

public static class SubmitCommand
{
    public static Command Create()
    {
        var type = CliOptions.Choice("--type", null, "the report type", "count", "related", "threatrank");
        var query = CliOptions.Text("--query", "JSON", """the qdata, e.g. '{"sub_type":"ipv4","data":"203.0.113.45","level":2}'""");
        var user = CliOptions.Text("--user", "EMAIL", "the requesting user (seed-demo's users)", "alice@cybex.example");
        var publicKey = CliOptions.Text("--public-key", "FILE", "the API's public key", Path.Combine("secrets", "pub.pem"));
        var via = CliOptions.Choice("--via", "tdql", "a TDQL answered by nonce, or a SubmitReportQuery message answered by response", "tdql", "bus");
        var wait = CliOptions.Flag("--wait", "wait for the worker's reply and print the report");
        var timeout = CliOptions.Int("--timeout", 30, 1, 3600, "seconds to wait");
        var format = CliOptions.Choice("--format", "json", "report output", "json", "table");
        var token = CliOptions.Text("--token", "JWT", "with --via bus: the user's CYBEX-P token (the API's login gives it); without it the query names the user by id, "
            + "which a worker accepts only from a broker user it trusts (Queries:TrustedPublishers)");
        var databases = new DatabaseOptions();
        var command = new Command("submit",
            "--via tdql does what the CYBEX-P API does for POST /query: canonical qdata, qhash, encryption with the public key, a TDQL with socket and nonce in the "
            + "report database; with --wait it listens for the nonce and prints the report. --via bus sends the encrypted query as a SubmitReportQuery message "
            + "(RabbitMQ from RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER, RABBITMQ_PASS, RABBITMQ_VHOST) and, with --wait, prints the report from the ReportReady "
            + "or ReportRejected response. Exit codes: 0 report ready, 1 report failed or no reply in time, 2 bad input, 3 database unreachable.")
        {
            type, query, user, publicKey, via, wait, timeout, format, token,
        };
        type.Required(command);
        query.Required(command);
        databases.AddTo(command);
        command.Validators.Add(r =>
        {
            if (r.GetValue(token) is not null && r.GetValue(via) != "bus") r.AddError("--token goes with --via bus (the API authenticates TDQL queries itself)");
            if (r.GetValue(query) is { } text && !(PyJsonReader.TryParse(text, out var qdata) && qdata.IsBsonDocument)) r.AddError("--query is not a JSON object");
        });
        command.SetAction((r, ct) =>
        {
            PyJsonReader.TryParse(r.GetValue(query)!, out var qdata);
            var key = QueryCipher.FromPem(Common.ReadKeyFile(r.GetValue(publicKey)!, "public"));
            return RunAsync(r.GetValue(type)!, qdata.AsBsonDocument, r.GetValue(user)!, r.GetValue(token), key, r.GetValue(via)!, r.GetValue(wait), r.GetValue(timeout),
                r.GetValue(format)!, databases.Context(r), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string qtype, BsonDocument qdata, string email, string? token, QueryCipher publicKey, string via, bool wait, int timeout, string format,
        MongoContext mongo, CancellationToken ct)
    {
        await Common.PingAsync(mongo, ct);

        var userId = TahoeHash.User("cybexp_user", email);
        var store = new TdqlStore(mongo);
        if (via == "bus") return await BusSubmit.RunAsync(store, publicKey, qtype, qdata, userId, token, wait, timeout, format, ct);
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
