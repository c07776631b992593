namespace Cybex.Report.Domain.Tahoe;

public static class TdqlHashes
{
    /// <summary>A TAHOE hash as stored: 64 lower-case hex characters.</summary>
    public static bool IsValid(string? hash) => hash is { Length: 64 } && hash.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
