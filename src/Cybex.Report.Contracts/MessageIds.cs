namespace Cybex.Report.Contracts;

/// <summary>Deterministic message ids, so a duplicate publication of one claim is recognisable.</summary>
public static class MessageIds
{
    public static Guid For(string kind, string tdqlHash, Guid claimId)
    {
        var bytes = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{kind}:{tdqlHash}:{claimId:N}"));
        return new Guid(bytes.AsSpan(0, 16));
    }
}
