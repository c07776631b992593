using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Claims;
using Cybex.Report.Tahoe.Documents;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Cli;

public static class StatusCommand
{
    public const string Help = $"""
        cybex-report status [--rabbit-api URL] [database options]
          Queries by status (malformed ones apart), leases past expiry (stuck work), replies given up, and the depth of the report queues and their
          _error queues from the RabbitMQ management API.
          --rabbit-api URL   management API (default http://guest:guest@127.0.0.1:15672)
        {Common.DatabaseOptionsHelp}
        Exit code 1 when there are stuck leases or messages in an _error queue.
        """;

    public static async Task<int> RunAsync(CliArgs args, CancellationToken ct)
    {
        var rabbitApi = args.Get("rabbit-api") ?? "http://guest:guest@127.0.0.1:15672";
        var mongo = Common.Mongo(args);
        args.EnsureAllUsed();
        await Common.PingAsync(mongo, ct);
        var (byStatus, expired, undelivered) = await new ClaimStore(mongo, SystemClock.Instance).SummaryAsync(ct);
        Console.WriteLine($"queries in {mongo.Options.ReportDatabase}:");
        foreach (var status in new[] { Tdql.StatusInvalid, Tdql.StatusWait, Tdql.StatusProcessing, Tdql.StatusReady, Tdql.StatusFailed, "malformed" })
        {
            Console.WriteLine($"  {status,-11} {byStatus.GetValueOrDefault(status)}");
        }
        Console.WriteLine($"  stuck (lease expired) {expired}");
        // Not an error by itself: an API that gave up waiting is normal, but many point at a network or host problem.
        Console.WriteLine($"  replies given up (the API had gone) {undelivered}");
        var errors = await QueuesAsync(rabbitApi, ct);
        return expired > 0 || errors > 0 ? 1 : 0;
    }

    private static async Task<long> QueuesAsync(string api, CancellationToken ct)
    {
        var uri = new Uri(api);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        }
        try
        {
            var json = await http.GetStringAsync(new Uri(uri, "/api/queues"), ct);
            using var doc = JsonDocument.Parse(json);
            long errors = 0;
            Console.WriteLine("queues:");
            foreach (var q in doc.RootElement.EnumerateArray())
            {
                var name = q.GetProperty("name").GetString() ?? "";
                if (!name.Contains("report-", StringComparison.Ordinal)) continue;
                var messages = q.TryGetProperty("messages", out var m) ? m.GetInt64() : 0;
                var consumers = q.TryGetProperty("consumers", out var c) ? c.GetInt64() : 0;
                if (name.EndsWith("_error", StringComparison.Ordinal)) errors += messages;
                Console.WriteLine($"  {name,-40} {messages,8} messages {consumers,4} consumers");
            }
            return errors;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            Console.WriteLine($"queues: RabbitMQ management API not reachable at {uri.Host}:{uri.Port}");
            return 0;
        }
    }
}

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
        var query = ReportStore.AnyTdql & f.Exists(ClaimStore.MalformedField, false);
        List<string> hashes;
        if (stuck)
        {
            var leases = await mongo.Leases.Find(f.Lt("expires", DateTime.UtcNow)).ToListAsync(ct);
            hashes = leases.Select(l => l["tdql"].AsString).ToList();
            query &= f.Eq("data.status", Tdql.StatusProcessing) & f.In("_hash", hashes);
        }
        else
        {
            query &= one is null ? f.Eq("data.status", Tdql.StatusFailed) : f.Eq("_hash", one);
        }
        var docs = await mongo.Reports.Find(query).Project(Builders<BsonDocument>.Projection.Exclude("_id")).ToListAsync(ct);
        var store = new ReportStore(mongo);
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
