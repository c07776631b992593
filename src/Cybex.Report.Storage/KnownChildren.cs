using System.Collections.Concurrent;

namespace Cybex.Report.Storage;

/// <summary>
/// TDQL child documents (status attributes and the like) this process has already written. They are
/// content-addressed and shared by every TDQL, so each needs writing once, not once per query.
/// </summary>
public static class KnownChildren
{
    private const int Capacity = 10_000;
    private static readonly ConcurrentDictionary<string, byte> Hashes = new();

    /// <summary>True the first time a hash is seen; bounded so per-report children cannot grow it forever.</summary>
    public static bool IsNew(string hash)
    {
        if (Hashes.ContainsKey(hash)) return false;
        if (Hashes.Count >= Capacity) Hashes.Clear();
        return Hashes.TryAdd(hash, 0);
    }
}
