using System.Diagnostics;

namespace Cybex.Report.Testing;

/// <summary>
/// The worker as its own process (<c>dotnet cybex-report-worker.dll</c>, as a container runs it), configured through
/// the environment: what the fault suite kills and what bench measures apart from itself.
/// </summary>
public static class WorkerProcess
{
    /// <param name="logFile">Where its console output goes (appended); discarded when null.</param>
    /// <param name="directory">Where the worker's binaries are; by default beside the caller's.</param>
    public static Process Start(IReadOnlyDictionary<string, string?> settings, string? logFile = null, string? directory = null)
    {
        var dir = directory ?? AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet", Path.Combine(dir, "cybex-report-worker.dll"))
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;
        info.Environment["Logging__LogLevel__Default"] = logFile is null ? "Warning" : "Information";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        var process = Process.Start(info)!;
        var writer = logFile is null ? null : TextWriter.Synchronized(new StreamWriter(logFile, append: true) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => writer?.WriteLine(e.Data);
        process.ErrorDataReceived += (_, e) => writer?.WriteLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
