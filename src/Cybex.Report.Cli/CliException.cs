
namespace Cybex.Report.Cli;

/// <summary>Bad input from the user (exit code 2) or an unreachable service (3): printed as one line.</summary>
public sealed class CliException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
