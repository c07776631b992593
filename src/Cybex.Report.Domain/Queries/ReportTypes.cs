namespace Cybex.Report.Domain.Queries;

/// <summary>The report types a TDQL's qtype names; anything else is refused.</summary>
public static class ReportTypes
{
    public const string Count = "count";
    public const string Related = "related";
    public const string Threatrank = "threatrank";

    public static readonly IReadOnlyList<string> All = [Count, Related, Threatrank];

    public static bool IsKnown(string? qtype) => qtype is Count or Related or Threatrank;
}
