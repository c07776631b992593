using Cybex.Report.Storage.Tdqls;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;
using System.CommandLine;
using Cybex.Report.Cli.Parsing;

namespace Cybex.Report.Cli.Commands;

public static class RequeueCommand
{
    public static Command Create()
    {
        var failed = CliOptions.Flag("--failed", "every query whose report failed");
        var stuck = CliOptions.Flag("--stuck", "every query still 'processing' whose lease expired");
        var one = CliOptions.Text("--tdql", "HASH", "one query");
        var databases = new DatabaseOptions();
        var command = new Command("requeue", "Puts queries back to 'wait' so the watcher claims them again, as the API's redo does. Give exactly one of --failed, --stuck, --tdql HASH.")
        {
            failed, stuck, one,
        };
        databases.AddTo(command);
        command.Validators.Add(r =>
        {
            var hash = r.GetValue(one);
            if ((r.GetValue(failed) ? 1 : 0) + (r.GetValue(stuck) ? 1 : 0) + (hash is null ? 0 : 1) != 1) r.AddError("give exactly one of --failed, --stuck, --tdql HASH");
            else if (hash is not null && !TdqlHashes.IsValid(hash)) r.AddError("--tdql must be a 64-character lower-case hex hash");
        });
        command.SetAction((r, ct) => RunAsync(r.GetValue(stuck), r.GetValue(one), databases.Context(r), ct));
        return command;
    }

    private static async Task<int> RunAsync(bool stuck, string? one, MongoContext mongo, CancellationToken ct)
    {
        await Common.PingAsync(mongo, ct);
        var f = Builders<BsonDocument>.Filter;
        var query = TdqlFilters.Answerable;
        List<string> hashes;
        if (stuck)
        {
            var leases = await mongo.Leases.Find(Leases.ExpiredAt(SystemClock.Instance.GetCurrentInstant())).ToListAsync(ct);
            hashes = leases.Select(l => l["tdql"].AsString).ToList();
            query &= f.Eq("data.status", Tdql.StatusProcessing) & f.In("_hash", hashes);
        }
        else
        {
            query &= one is null ? f.Eq("data.status", Tdql.StatusFailed) : f.Eq("_hash", one);
        }
        var docs = await mongo.ReportDb.Find(query).Project(Builders<BsonDocument>.Projection.Exclude("_id")).ToListAsync(ct);
        var store = new TdqlStore(mongo);
        var requeued = 0;
        foreach (var doc in docs)
        {
            if (await store.TrySetStatusAsync(doc, Tdql.StatusWait, f.Eq("data.status", doc["data"]["status"][0]), ct)) requeued++;
        }
        // A requeue supersedes whatever claim the query had: its lease must not hold the new claim back.
        await ClaimStore.Protocol(mongo, SystemClock.Instance).ReleaseAllAsync(docs.Select(d => d["_hash"].AsString), ct);
        Console.WriteLine($"requeued {requeued} queries");
        return 0;
    }
}
