using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Storage.Identity;

/// <summary>How identity_db is read. The key lives in the Reports section, where it always was.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Reports";

    /// <summary>How long a user's org membership may be reused between queries (0: looked up every time).</summary>
    [Range(0, 3600)]
    public int IdentityCacheSeconds { get; set; } = 10;
}
