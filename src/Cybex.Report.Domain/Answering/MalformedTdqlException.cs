namespace Cybex.Report.Domain.Answering;

/// <summary>A TDQL document that is not in the API's shape; it cannot be answered and is not retried.</summary>
public sealed class MalformedTdqlException(string hash, string reason) : Exception($"TDQL {hash} is malformed: {reason}")
{
    public string Hash { get; } = hash;

    public string Reason { get; } = reason;
}
