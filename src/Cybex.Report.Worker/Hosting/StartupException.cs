namespace Cybex.Report.Worker.Hosting;

/// <summary>The worker cannot start; <see cref="ExitCode"/> says what the process exits with (the CLI's codes).</summary>
public sealed class StartupException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public const int Configuration = 2;
    public const int Database = 3;
    public const int Broker = 4;

    public int ExitCode { get; } = exitCode;
}
