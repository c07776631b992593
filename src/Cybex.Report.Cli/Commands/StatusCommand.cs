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
