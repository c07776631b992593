using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Domain.Reports;

/// <summary>The limits that keep one report from running away or growing past what report_db can store.</summary>
public sealed class ReportOptions
{
    public const string Section = "Reports";

    /// <summary>D12: the original silently capped counts at 100; 0 counts exactly.</summary>
    [Range(0, long.MaxValue)]
    public long CountLimit { get; set; } = 100;

    /// <summary>How many path steps one threatrank may take before it fails instead of running away.</summary>
    [Range(1, long.MaxValue)]
    public long ThreatrankMaxPathSteps { get; set; } = 5_000_000;

    /// <summary>Reports whose BSON is larger fail with a text saying so instead of failing to store on every attempt.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxReportBytes { get; set; } = ReportSize.DefaultMaxBytes;
}
