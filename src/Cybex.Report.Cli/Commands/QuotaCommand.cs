using System.CommandLine;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Domain.Claims;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Quotas;
using NodaTime;

namespace Cybex.Report.Cli.Commands;

public static class QuotaCommand
{
    public static Command Create()
    {
        var org = CliOptions.Text("--org", "HASH", "the org's hash (or user:HASH for a user in no org)");
        var perMinute = CliOptions.OptionalInt("--per-minute", 0, OrgQuota.MaxPerMinute, "queries of the org claimed in any minute at most (0 holds them all)");
        var remove = CliOptions.Flag("--remove", "remove the org's quota");
        var databases = new DatabaseOptions();
        var command = new Command("quota",
            "Per-org quotas: the watchers claim no more of an org's queries a minute than its quota, and leave the rest waiting (never failed) until it allows them; "
            + "the bus door tells a requester over it when to ask again. Without options, lists the quotas and what each has used in the last minute. "
            + "Workers see a change within 5 s.")
        {
            org, perMinute, remove,
        };
        databases.AddTo(command);
        command.Validators.Add(r =>
        {
            var hash = r.GetValue(org);
            var set = r.GetValue(perMinute) is not null;
            if (hash is null && (set || r.GetValue(remove))) r.AddError("--per-minute and --remove need --org");
            else if (hash is not null && set == r.GetValue(remove)) r.AddError("with --org, give exactly one of --per-minute N, --remove");
            else if (hash is not null && !TdqlHashes.IsValid(hash.StartsWith("user:", StringComparison.Ordinal) ? hash["user:".Length..] : hash))
            {
                r.AddError("--org must be a 64-character lower-case hex hash, or user: and one");
            }
        });
        command.SetAction((r, ct) => RunAsync(databases.Context(r), r.GetValue(org), r.GetValue(perMinute), r.GetValue(remove), ct));
        return command;
    }

    private static async Task<int> RunAsync(MongoContext mongo, string? org, int? perMinute, bool remove, CancellationToken ct)
    {
        await Common.PingAsync(mongo, ct);
        var store = new QuotaStore(mongo);
        if (org is not null && perMinute is { } n)
        {
            await store.SetAsync(org, n, ct);
            Console.WriteLine($"quota of {org}: {n} queries a minute");
            return 0;
        }
        if (org is not null)
        {
            var removed = await store.RemoveAsync(org, ct);
            Console.WriteLine(removed ? $"quota of {org} removed" : $"{org} had no quota");
            return 0;
        }
        var now = SystemClock.Instance.GetCurrentInstant();
        var quotas = await store.ReadAsync(null, ct);
        if (quotas.Count == 0) Console.WriteLine("no quotas");
        foreach (var q in quotas.Values.OrderBy(q => q.Quota.Org, StringComparer.Ordinal))
        {
            Console.WriteLine($"{q.Quota.Org}  {q.Quota.PerMinute} a minute, {q.Quota.UsedAt(now)} used in the last minute");
        }
        return 0;
    }
}
