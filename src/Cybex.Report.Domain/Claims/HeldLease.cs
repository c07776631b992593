namespace Cybex.Report.Domain.Claims;

/// <summary>A lease as its holder sees it when work begins: which attempt this is, why the previous one failed, and
/// whether its report is already stored (a redelivery).</summary>
public sealed record HeldLease(int Attempt, string? LastError, bool Answered);
