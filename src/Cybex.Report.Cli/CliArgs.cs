namespace Cybex.Report.Cli;

/// <summary>GNU-style options: <c>--name value</c>, <c>--name=value</c> and bare flags.</summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];
    private bool _positionalUsed;

    public CliArgs(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                _positional.Add(a);
                continue;
            }
            var eq = a.IndexOf('=');
            if (eq > 0)
            {
                _options[a[2..eq]] = a[(eq + 1)..];
            }
            else if (flags.Contains(a[2..]))
            {
                _options[a[2..]] = null;
            }
            else
            {
                if (i + 1 >= list.Count) throw new CliException($"option {a} needs a value");
                _options[a[2..]] = list[++i];
            }
        }
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string? Get(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public string Require(string name) => Get(name) ?? throw new CliException($"missing --{name}");

    public int GetInt(string name, int fallback, int min, int max)
    {
        var text = Get(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, out var value) || value < min || value > max) throw new CliException($"--{name} must be a whole number from {min} to {max}");
        return value;
    }

    public IReadOnlyList<string> Positional()
    {
        _positionalUsed = true;
        return _positional;
    }

    /// <summary>Refuses options the command does not know, so a typo is not silently ignored.</summary>
    public void EnsureAllUsed()
    {
        if (!_positionalUsed && _positional.Count > 0) throw new CliException($"unexpected argument '{_positional[0]}'");
        var unknown = _options.Keys.FirstOrDefault(k => !_used.Contains(k));
        if (unknown is not null) throw new CliException($"unknown option --{unknown}");
    }
}
