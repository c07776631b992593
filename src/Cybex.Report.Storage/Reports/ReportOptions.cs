using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Storage.Reports;

public sealed class ReportOptions
{
    public const string Section = "Reports";

    /// <summary>D12: the original silently capped counts at 100; 0 counts exactly.</summary>
    [Range(0, long.MaxValue)]
    public long CountLimit { get; set; } = 100;

    /// <summary>How many path steps one threatrank may take before it fails instead of running away.</summary>
    [Range(1, long.MaxValue)]
    public long ThreatrankMaxPathSteps { get; set; } = 5_000_000;

    /// <summary>How long a user's org membership may be reused between queries (0: looked up every time).</summary>
    [Range(0, 3600)]
    public int IdentityCacheSeconds { get; set; } = 10;

    /// <summary>Reports whose BSON is larger fail with a text saying so instead of failing to store on every attempt.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxReportBytes { get; set; } = Tahoe.Reports.ReportSize.DefaultMaxBytes;

    /// <summary>PEM file of the private key that decrypts qdata (the counterpart of the API's pub.pem).</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>
    /// Lets the worker start without <see cref="PrivateKeyFile"/>; encrypted queries (all of the API's) then fail.
    /// Off by default: a missing key is far more often a mistake than a choice.
    /// </summary>
    public bool AllowUnencryptedQueriesOnly { get; set; }
}
