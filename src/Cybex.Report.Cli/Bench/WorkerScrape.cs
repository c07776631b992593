using System.Globalization;
using System.Text.RegularExpressions;

namespace Cybex.Report.Cli.Bench;

/// <summary>The worker's database command counters, read from its Prometheus endpoint.</summary>
public static partial class WorkerScrape
{
    [GeneratedRegex("""^cybex_db_commands_total\{([^}]*)\} (\S+)""", RegexOptions.Multiline)]
    private static partial Regex CommandLine();

    [GeneratedRegex("""^dotnet_jit_compilation_time_seconds_total(?:\{[^}]*\})? (\S+)""", RegexOptions.Multiline)]
    private static partial Regex JitLine();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex Label();

    /// <summary>Commands so far by (role, database.collection).</summary>
    public static async Task<Dictionary<(string Role, string Collection), double>> CommandsAsync(HttpClient http, int port, CancellationToken ct)
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", ct);
        var result = new Dictionary<(string, string), double>();
        foreach (Match m in CommandLine().Matches(text))
        {
            var labels = Label().Matches(m.Groups[1].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value);
            var key = (labels.GetValueOrDefault("role", "?"), labels.GetValueOrDefault("collection", "?"));
            result[key] = result.GetValueOrDefault(key) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return result;
    }

    /// <summary>
    /// Seconds the worker's JIT has spent compiling since it started (the runtime's own counter): code paths met for
    /// the first time, a cost a long-running worker pays once. Null when the endpoint does not say.
    /// </summary>
    public static async Task<double?> JitSecondsAsync(HttpClient http, int port, CancellationToken ct)
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", ct);
        return JitLine().Match(text) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public static Dictionary<(string Role, string Collection), double> Since(
        Dictionary<(string Role, string Collection), double> after, Dictionary<(string Role, string Collection), double> before) =>
        after.ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key));
}
