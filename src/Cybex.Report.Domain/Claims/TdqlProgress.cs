namespace Cybex.Report.Domain.Claims;

/// <summary>How far a TDQL is, as the claim protocol needs it: its status and the report it points at (null where unreadable).</summary>
public sealed record TdqlProgress(string? Status, string? ReportId)
{
    public bool IsFinished => Status is Tahoe.Tdql.StatusReady or Tahoe.Tdql.StatusFailed && ReportId is { Length: > 0 };
}
