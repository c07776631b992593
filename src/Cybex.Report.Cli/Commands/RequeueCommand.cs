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

namespace Cybex.Report.Cli.Commands;

public static class RequeueCommand
{
    public const string Help = $"""
        cybex-report requeue (--failed | --stuck | --tdql HASH) [database options]
          Puts queries back to 'wait' so the watcher claims them again, as the API's redo does.
          --failed      every query whose report failed
          --stuck       every query still 'processing' whose lease expired
          --tdql HASH   one query
        {Common.DatabaseOptionsHelp}
        """;

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var failed = args.Has("failed");
        var stuck = args.Has("stuck");
        var one = args.Get("tdql");
        if ((failed ? 1 : 0) + (stuck ? 1 : 0) + (one is null ? 0 : 1) != 1) throw new CliException("give exactly one of --failed, --stuck, --tdql HASH");
        if (one is not null && !TdqlHashes.IsValid(one)) throw new CliException("--tdql must be a 64-character lower-case hex hash");
        var mongo = Common.Mongo(args);
        args.EnsureAllUsed();
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
        await new ClaimStore(mongo, SystemClock.Instance).ReleaseAllAsync(docs.Select(d => d["_hash"].AsString), ct);
        Console.WriteLine($"requeued {requeued} queries");
        return 0;
    }
}
