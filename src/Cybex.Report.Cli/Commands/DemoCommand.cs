using Cybex.Report.Cli.Output;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Queries;
using Microsoft.Extensions.Hosting;
using MongoDB.Bson;
using NodaTime;
using System.CommandLine;
using Cybex.Report.Cli.Parsing;

namespace Cybex.Report.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var keep = CliOptions.Flag("--keep", "keep the worker running after the demo (Ctrl+C stops it)");
        var events = CliOptions.Int("--events", 300, 10, 100_000, "size of the demo archive in events");
        var databases = new DatabaseOptions();
        var command = new Command("demo",
            "The whole pipeline on a demo archive: seeds it, starts the worker (watcher, report and reply consumers) on RabbitMQ, submits representative queries "
            + "the way the CYBEX-P API does, and prints their reports. Keys are written to secrets/ when missing.")
        {
            keep, events,
        };
        databases.AddTo(command);
        command.SetAction((r, ct) => RunAsync(r.GetValue(keep), r.GetValue(events), databases.Context(r), ct));
        return command;
    }

    private static async Task<int> RunAsync(bool keep, int events, MongoContext mongo, CancellationToken ct)
    {
        await Common.PingAsync(mongo, ct);

        var privFile = Path.Combine("secrets", "priv.pem");
        var pubFile = Path.Combine("secrets", "pub.pem");
        if (!File.Exists(privFile) || !File.Exists(pubFile)) KeygenCommand.Write("secrets", force: true);

        var clock = SystemClock.Instance;
        var archive = DemoArchive.Generate(events, 2021, clock.GetCurrentInstant());
        await SeedDemoCommand.WriteAsync(mongo, archive, "demo", ct);
        Console.WriteLine($"demo archive: {archive.ArchiveDocs.Count} TAHOE documents, {events} events, orgs {string.Join(", ", DemoArchive.OrgNames)}");

        using var worker = await InProcessWorker.StartAsync(InProcessWorker.Settings(mongo.Options, Path.GetFullPath(privFile), ""), clock, ct: ct);
        Console.WriteLine("worker started: TDQL watcher, report consumers, reply consumer on RabbitMQ");
        var submitter = new QuerySubmitter(new TdqlStore(mongo), QueryCipher.FromPem(File.ReadAllText(pubFile)), clock);
        var ip = archive.PopularAttributes[0].Data.AsString;
        var target = ThreatrankTarget(archive);
        var demos = new List<(string Title, string Type, string Query, string User)>
        {
            ("How many of my org's events mention this IP?", "count", $$"""{"sub_type":"ipv4","data":"{{ip}}"}""", "alice"),
            ("The same count for a user in no org", "count", $$"""{"sub_type":"ipv4","data":"{{ip}}"}""", "dave"),
            ("What is related to it, two hops away?", "related", $$"""{"sub_type":"ipv4","data":"{{ip}}","level":2}""", "alice"),
            ("How is it connected (summary graph)?", "related", $$"""{"sub_type":"ipv4","data":"{{ip}}","summary_graph":true}""", "bob"),
            ("How threat-connected is this event?", "threatrank", $$"""{"_hash":"{{target}}"}""", "alice"),
            ("A bad query fails with a clear message", "count", """{"sub_type":"md5","data":"x"}""", "alice"),
        };
        var store = new TdqlStore(mongo);
        var failures = 0;
        foreach (var (title, type, query, user) in demos)
        {
            Console.WriteLine();
            Console.WriteLine($"## {title}");
            Console.WriteLine($"   cybex-report submit --type {type} --user {user}@cybex.example --query '{query}' --wait");
            using var pending = await submitter.SubmitAsync(type, PyJsonReader.Parse(query), archive.UserHashes[user], ct);
            if (!await pending.WaitAsync(TimeSpan.FromSeconds(30), ct))
            {
                Console.WriteLine("   no reply within 30 s");
                failures++;
                continue;
            }
            var tdql = (await store.FindAsync(pending.TdqlHash, ct))!.Tdql;
            var report = await store.FindReportAsync(tdql.ReportId, ct);
            Console.WriteLine(report is null ? "   report missing" : ReportPrinter.Table(report, tdql.Status));
        }
        Console.WriteLine();
        Console.WriteLine("RabbitMQ dashboard: http://127.0.0.1:15672 (guest/guest), queues report-requested and report-reply");
        Console.WriteLine("Your own query:    dotnet run --project src/Cybex.Report.Cli -- submit --type count --query '{\"sub_type\":\"ipv4\",\"data\":\"" + ip + "\"}' --wait");
        if (keep)
        {
            Console.WriteLine("The worker keeps running; Ctrl+C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await worker.StopAsync(CancellationToken.None);
        return failures == 0 ? 0 : 1;
    }

    // An org-a event (alice sees it) that shares an indicator with a malicious event, so it has a threatrank.
    private static string ThreatrankTarget(GeneratedArchive archive)
    {
        var events = archive.ArchiveDocs.Where(d => d["itype"] == "event").ToList();
        var orgA = archive.IdentityDocs.First(d => d["sub_type"] == "cybexp_org" && d["data"]["orgname"][0] == "org-a")["_hash"].AsString;
        var maliciousRefs = events.Where(e => e["category"] == "malicious").SelectMany(e => e["_ref"].AsBsonArray).Select(v => v.AsString).ToHashSet();
        var target = events.FirstOrDefault(e => e["orgid"] == orgA && e["category"] != "malicious" && e["_ref"].AsBsonArray.Any(r => maliciousRefs.Contains(r.AsString)))
            ?? events.First(e => e["orgid"] == orgA);
        return target["_hash"].AsString;
    }
}
