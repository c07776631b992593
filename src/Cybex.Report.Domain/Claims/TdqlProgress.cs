namespace Cybex.Report.Domain.Claims;

/// <summary>
/// How far a TDQL is, as the claim protocol needs it: its status, the report it points at and the socket its reply
/// goes to (each null where unreadable).
/// </summary>
public sealed record TdqlProgress(string? Status, string? ReportId, Tahoe.TdqlSocket? Socket = null)
{
    public bool IsFinished => Status is Tahoe.Tdql.StatusReady or Tahoe.Tdql.StatusFailed && ReportId is { Length: > 0 };
}
