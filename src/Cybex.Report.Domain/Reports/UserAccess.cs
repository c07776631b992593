namespace Cybex.Report.Domain.Reports;

/// <summary>A user as the DAM sees them: the orgs whose <c>_usr_ref</c> lists them, which bound what a report may show.</summary>
public sealed record UserAccess(string UserHash, IReadOnlyList<string> OrgHashes);
