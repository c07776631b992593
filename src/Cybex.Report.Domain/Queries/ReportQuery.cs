using MongoDB.Bson;

namespace Cybex.Report.Domain.Queries;

/// <summary>The decoded, validated parameters of one report query, with the original's defaults applied.</summary>
public sealed record ReportQuery
{
    public string? SubType { get; init; }
    public BsonValue Data { get; init; } = BsonNull.Value;
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Last { get; init; }
    public string? TzName { get; init; }
    public string Category { get; init; } = "all";
    public string Context { get; init; } = "all";
    public string ReturnType { get; init; } = "all";
    public int Level { get; init; } = 1;
    public int Page { get; init; } = 1;
    public bool Summary { get; init; } = true;
    public bool SummaryGraph { get; init; }

    /// <summary>Threatrank target, lower-cased (D1: the original upper-cased it and never found the event).</summary>
    public string Hash { get; init; } = "";
}
