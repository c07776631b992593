using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cybex.Report.Cli.Output;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Status;
using NodaTime;
using Spectre.Console;
using Progress = Cybex.Report.Cli.Output.Progress;

namespace Cybex.Report.Cli.Commands;

public static class StatusCommand
{
    public static Command Create()
    {
        var rabbitApi = CliOptions.Text("--rabbit-api", "URL", "the RabbitMQ management API", "http://guest:guest@127.0.0.1:15672");
        var watch = CliOptions.Flag("--watch", "refresh until Ctrl+C: a live view on a terminal, a snapshot per refresh otherwise");
        var interval = CliOptions.Int("--interval", 3, 1, 3600, "seconds between refreshes with --watch");
        var refreshes = CliOptions.OptionalInt("--refreshes", 1, 1_000_000, "stop --watch after this many refreshes (default: until Ctrl+C)");
        var json = CliOptions.Flag("--json", "one JSON object per snapshot on stdout");
        var databases = new DatabaseOptions();
        var command = new Command("status",
            "Queries by status (malformed ones apart), leases past expiry (stuck work), replies given up, the oldest waiting query, reports per second by type over "
            + "the last minute, and the depth and consumers of the report queues and their _error queues from the RabbitMQ management API. "
            + "Exit code 1 when there are stuck leases or messages in an _error queue (with --watch: at the last refresh).")
        {
            rabbitApi, watch, interval, refreshes, json,
        };
        databases.AddTo(command);
        command.SetAction((r, ct) => RunAsync(databases.Context(r), new Uri(r.GetValue(rabbitApi)!), r.GetValue(watch), TimeSpan.FromSeconds(r.GetValue(interval)),
            r.GetValue(refreshes), r.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunAsync(MongoContext mongo, Uri rabbitApi, bool watch, TimeSpan interval, int? refreshes, bool json, CancellationToken ct)
    {
        await Common.PingAsync(mongo, ct);
        var claims = new ReportDbStatus(mongo, SystemClock.Instance);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        if (!string.IsNullOrEmpty(rabbitApi.UserInfo))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(rabbitApi.UserInfo))));
        }
        async Task<StatusSnapshot> SnapshotAsync()
        {
            var db = await claims.SummaryAsync(ct);
            var (queues, unreachable) = await QueuesAsync(http, rabbitApi, ct);
            return new StatusSnapshot(mongo.Options.ReportDatabase, db, queues, unreachable);
        }

        if (!watch)
        {
            var once = await SnapshotAsync();
            Show(once, json);
            return once.NeedsAttention ? 1 : 0;
        }
        StatusSnapshot? last = null;
        try
        {
            if (!json && Terminal.OutIsTerminal)
            {
                last = await SnapshotAsync();
                await Terminal.Out.Live(StatusView.Render(last)).AutoClear(false).StartAsync(async live =>
                {
                    for (var n = 1; refreshes is not { } max || n < max; n++)
                    {
                        await Task.Delay(interval, ct);
                        last = await SnapshotAsync();
                        live.UpdateTarget(StatusView.Render(last));
                    }
                });
            }
            else
            {
                for (var n = 0; refreshes is not { } max || n < max; n++)
                {
                    if (n > 0) await Task.Delay(interval, ct);
                    last = await SnapshotAsync();
                    if (!json) Console.WriteLine($"--- {last.Db.At}");
                    Show(last, json);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C is how a watch ends: not a failure.
        }
        return last?.NeedsAttention == true ? 1 : 0;
    }

    private static void Show(StatusSnapshot s, bool json)
    {
        if (json) Console.WriteLine(StatusView.ToJson(s));
        else if (Terminal.OutIsTerminal) Terminal.Out.Write(StatusView.Render(s));
        else foreach (var line in StatusView.Lines(s)) Console.WriteLine(line);
    }

    private static async Task<(List<QueueFigures>?, string?)> QueuesAsync(HttpClient http, Uri api, CancellationToken ct)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(api, "/api/queues"), ct));
            var queues = doc.RootElement.EnumerateArray()
                .Select(q => new QueueFigures(q.GetProperty("name").GetString() ?? "",
                    q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0,
                    q.TryGetProperty("consumers", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() : 0))
                .Where(q => q.Name.Contains("report-", StringComparison.Ordinal))
                .OrderBy(q => q.Name, StringComparer.Ordinal).ToList();
            return (queues, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            return (null, $"{api.Host}:{api.Port}");
        }
    }
}
