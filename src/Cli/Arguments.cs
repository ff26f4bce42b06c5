using Pipeline.Options;

namespace Pipeline.Host.Cli;

/// <summary>Parsed command line: a command, positional arguments, and --options (with or without values).</summary>
public sealed class Arguments
{
    readonly Dictionary<string, List<string>> options = [];
    readonly HashSet<string> flags = [];

    public string? Command { get; private set; }
    public List<string> Positional { get; } = [];

    public static Arguments Parse(string[] args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flagOptions)
    {
        var a = new Arguments();
        for (int i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help") { a.flags.Add("help"); continue; }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg[2..];
                string? inline = null;
                if (name.IndexOf('=') is var eq and > 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
                if (valueOptions.Contains(name))
                {
                    var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new PipelineInputException($"--{name} needs a value"));
                    if (!a.options.TryGetValue(name, out var list)) a.options[name] = list = [];
                    list.Add(value);
                }
                else if (flagOptions.Contains(name) && inline is null) a.flags.Add(name);
                else
                {
                    var known = valueOptions.Concat(flagOptions).Select(o => "--" + o);
                    throw new PipelineInputException($"unknown option '{arg}'.{Definitions.NameSuggester.Hint("--" + name, known)} Run with --help for usage.");
                }
            }
            else if (a.Command is null) a.Command = arg;
            else a.Positional.Add(arg);
        }
        return a;
    }

    public bool Has(string flag) => flags.Contains(flag);
    public string? Value(string name) => options.TryGetValue(name, out var l) ? l[^1] : null;
    public IReadOnlyList<string> Values(string name) => options.TryGetValue(name, out var l) ? l : [];
}
