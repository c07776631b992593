using System.CommandLine;

namespace Cybex.Report.Cli.Parsing;

/// <summary>The first thing wrong with a command line, in one line, as the tool has always said it.</summary>
public static class ParseErrors
{
    public static string OneLine(ParseResult parsed, RootCommand root)
    {
        var command = parsed.CommandResult.Command;
        var unmatched = parsed.UnmatchedTokens;
        if (command == root)
        {
            var commands = string.Join(", ", root.Subcommands.Select(c => c.Name));
            return unmatched.Count > 0
                ? $"cybex-report: unknown command '{unmatched[0]}' (commands: {commands})"
                : $"cybex-report: no command given (commands: {commands}; cybex-report --help tells more)";
        }
        var prefix = $"cybex-report {command.Name}: ";
        if (unmatched.Count > 0)
        {
            var token = unmatched[0];
            return prefix + (token.StartsWith('-') ? $"unknown option {token.Split('=')[0]}" : $"unexpected argument '{token}'");
        }
        return prefix + parsed.Errors[0].Message;
    }
}
