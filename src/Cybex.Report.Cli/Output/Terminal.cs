using Spectre.Console;

namespace Cybex.Report.Cli.Output;

/// <summary>
/// Where people look: Spectre.Console tables, live views and progress bars when the stream is a terminal; plain
/// lines (the same figures, stable for scripts and CI) when it is a file or a pipe.
/// </summary>
public static class Terminal
{
    public static bool OutIsTerminal => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";

    public static bool ErrorIsTerminal => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";

    public static IAnsiConsole Out => AnsiConsole.Console;

    /// <summary>Progress goes to stderr, so a redirected stdout still gets only the results.</summary>
    public static IAnsiConsole Error { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}
