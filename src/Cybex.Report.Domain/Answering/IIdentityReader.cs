using Cybex.Report.Domain.Reports;

namespace Cybex.Report.Domain.Answering;

/// <summary>Users and their orgs (identity_db).</summary>
public interface IIdentityReader
{
    /// <summary>The user and the orgs that list them, or null when no such user exists.</summary>
    Task<UserAccess?> FindUserAsync(string userHash, CancellationToken ct);
}
