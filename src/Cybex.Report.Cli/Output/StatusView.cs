using System.Globalization;
using System.Text.Json;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage.Status;
using NodaTime;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cybex.Report.Cli.Output;

/// <summary>A status snapshot for people (lines, or Spectre tables on a terminal) and for scripts (one JSON object).</summary>
public static class StatusView
{
    public static readonly string[] Statuses = [Tdql.StatusInvalid, Tdql.StatusWait, Tdql.StatusProcessing, Tdql.StatusReady, Tdql.StatusFailed, "malformed"];

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IEnumerable<string> Lines(StatusSnapshot s)
    {
        yield return $"queries in {s.ReportDatabase}:";
        foreach (var status in Statuses) yield return $"  {status,-11} {s.Db.ByStatus.GetValueOrDefault(status)}";
        yield return $"  stuck (lease expired) {s.Db.ExpiredLeases}";
        // Not an error by itself: an API that gave up waiting is normal, but many point at a network or host problem.
        yield return $"  replies given up (the API had gone) {s.Db.UndeliveredReplies}";
        yield return $"  oldest waiting {OldestWaiting(s)}";
        yield return $"  reports/s over the last minute {ReportRates(s)}";
        if (s.Db.Orgs.Count > 0)
        {
            yield return "orgs (waiting, quota a minute, used in the last minute):";
            foreach (var o in s.Db.Orgs) yield return $"  {o.Org,-69} {o.Waiting,8} waiting {Quota(o),10} {o.UsedLastMinute,6} used{(o.Throttled ? "  throttled" : "")}";
        }
        if (s.Queues is null)
        {
            yield return $"queues: RabbitMQ management API not reachable at {s.QueuesUnreachable}";
            yield break;
        }
        yield return "queues:";
        foreach (var q in s.Queues) yield return $"  {q.Name,-40} {q.Messages,8} messages {q.Consumers,4} consumers";
    }

    public static IRenderable Render(StatusSnapshot s)
    {
        var queries = new Table().Title($"queries in {Markup.Escape(s.ReportDatabase)}").AddColumns("status", "count");
        foreach (var status in Statuses) queries.AddRow(status, $"{s.Db.ByStatus.GetValueOrDefault(status)}");
        queries.AddRow(s.Db.ExpiredLeases > 0 ? "[red]stuck (lease expired)[/]" : "stuck (lease expired)", $"{s.Db.ExpiredLeases}");
        queries.AddRow("replies given up", $"{s.Db.UndeliveredReplies}");
        queries.AddRow("oldest waiting", Markup.Escape(OldestWaiting(s)));
        queries.AddRow("reports/s, last minute", Markup.Escape(ReportRates(s)));
        IRenderable queues;
        if (s.Queues is null)
        {
            queues = new Markup($"[yellow]RabbitMQ management API not reachable at {Markup.Escape(s.QueuesUnreachable ?? "")}[/]");
        }
        else
        {
            var table = new Table().Title("queues").AddColumns("queue", "messages", "consumers");
            foreach (var q in s.Queues)
            {
                var name = Markup.Escape(q.Name);
                table.AddRow(q.IsError && q.Messages > 0 ? $"[red]{name}[/]" : name, $"{q.Messages}", q.Consumers == 0 && !q.IsError ? "[yellow]0[/]" : $"{q.Consumers}");
            }
            queues = table;
        }
        if (s.Db.Orgs.Count > 0)
        {
            var orgs = new Table().Title("orgs").AddColumns("org", "waiting", "quota/min", "used, last minute", "");
            // The first characters of a hash tell orgs apart on a screen; --json gives them whole.
            foreach (var o in s.Db.Orgs) orgs.AddRow(Markup.Escape(Short(o.Org)), $"{o.Waiting}", Quota(o), $"{o.UsedLastMinute}", o.Throttled ? "[yellow]throttled[/]" : "");
            queues = new Rows(queues, orgs);
        }
        var at = s.Db.At.ToDateTimeUtc().ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
        return new Rows(new Columns(queries, queues), new Markup($"[grey]{at}; Ctrl+C ends a --watch[/]"));
    }

    public static string ToJson(StatusSnapshot s) => JsonSerializer.Serialize(new
    {
        at = s.Db.At.ToString(),
        report_database = s.ReportDatabase,
        queries = Statuses.ToDictionary(st => st, st => s.Db.ByStatus.GetValueOrDefault(st)),
        expired_leases = s.Db.ExpiredLeases,
        undelivered_replies = s.Db.UndeliveredReplies,
        oldest_waiting_seconds = s.Db.OldestWaiting is { } o ? Math.Round((s.Db.At - o).TotalSeconds, 1) : (double?)null,
        reports_last_minute = s.Db.ReportsLastMinute,
        queues = s.Queues?.Select(q => new { q.Name, q.Messages, q.Consumers }),
        error_messages = s.ErrorMessages,
        orgs = s.Db.Orgs.Select(o => new { o.Org, o.Waiting, quota_per_minute = o.PerMinute, used_last_minute = o.UsedLastMinute, o.Throttled }),
    }, Json);

    private static string Quota(OrgBacklog o) => o.PerMinute is { } n ? $"{n}" : "none";

    private static string Short(string org) => org.Length > 16 ? org[..16] + "…" : org;

    private static string OldestWaiting(StatusSnapshot s) =>
        s.Db.OldestWaiting is { } o ? $"{Math.Max(0, (s.Db.At - o).TotalSeconds):0} s ago" : "none";

    private static string ReportRates(StatusSnapshot s) => s.Db.ReportsLastMinute.Count == 0 ? "none"
        : string.Join(", ", s.Db.ReportsLastMinute.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value / 60.0:0.##}")));
}
