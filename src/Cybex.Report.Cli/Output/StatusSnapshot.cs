using Cybex.Report.Storage.Status;

namespace Cybex.Report.Cli.Output;

/// <summary>One queue as the broker's management API sees it.</summary>
public sealed record QueueFigures(string Name, long Messages, long Consumers)
{
    public bool IsError => Name.EndsWith("_error", StringComparison.Ordinal);
}

/// <summary>What <c>status</c> shows at one moment: the report database and the broker's report queues.</summary>
/// <param name="Queues">Null when the management API did not answer (<paramref name="QueuesUnreachable"/> says where).</param>
public sealed record StatusSnapshot(string ReportDatabase, ReportDbSummary Db, IReadOnlyList<QueueFigures>? Queues, string? QueuesUnreachable)
{
    public long ErrorMessages => Queues?.Where(q => q.IsError).Sum(q => q.Messages) ?? 0;

    /// <summary>Stuck leases or parked messages: something needs an operator.</summary>
    public bool NeedsAttention => Db.ExpiredLeases > 0 || ErrorMessages > 0;
}
