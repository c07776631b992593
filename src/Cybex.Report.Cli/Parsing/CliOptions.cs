using System.CommandLine;
using System.Globalization;

namespace Cybex.Report.Cli.Parsing;

/// <summary>
/// Typed options whose refusals read as the tool's one-line errors (<c>--mode must be burst or closed</c>), with
/// defaults shown in the generated help and the allowed values offered to shell completion.
/// </summary>
public static class CliOptions
{
    public static Option<int> Int(string name, int fallback, int min, int max, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseInt(r, name, min, max) ?? fallback,
    };

    /// <summary>An int option whose default depends on other options: null when not given.</summary>
    public static Option<int?> OptionalInt(string name, int min, int max, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = r => ParseInt(r, name, min, max),
    };

    private static int? ParseInt(System.CommandLine.Parsing.ArgumentResult r, string name, int min, int max)
    {
        var text = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        r.AddError($"{name} must be a whole number from {min} to {max}");
        return null;
    }

    public static Option<string> Choice(string name, string? fallback, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', values) };
        if (fallback is not null) option.DefaultValueFactory = _ => fallback;
        option.CompletionSources.Add(values);
        option.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            if (!values.Contains(value, StringComparer.Ordinal)) r.AddError($"{name} must be {Alternatives(values)}");
        });
        return option;
    }

    public static Option<string> Text(string name, string helpName, string description, string? fallback = null)
    {
        var option = new Option<string>(name) { Description = description, HelpName = helpName };
        if (fallback is not null) option.DefaultValueFactory = _ => fallback;
        return option;
    }

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>Refused with <c>missing --name</c> when absent (System.CommandLine's own wording differs).</summary>
    public static T Required<T>(this T option, Command command) where T : Option
    {
        command.Validators.Add(r =>
        {
            if (r.GetResult(option) is null) r.AddError($"missing {option.Name}");
        });
        return option;
    }

    /// <summary>"a, b or c", as the errors have always said it.</summary>
    public static string Alternatives(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : string.Join(", ", values.Take(values.Count - 1)) + " or " + values[^1];
}
