using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Diffusers;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Cli;

/// <summary>
/// `import-diffusers CONFIG --steps N [--diffusers-conventions] [--definition BASE.json] [--output FILE]`: the definition a diffusers scheduler
/// config gives, with every option of the imported plugins written out (defaults filled in). With --definition the
/// other sections (model, sampling, ...) come from that file and its noiseSchedule, timeSteps, solver and diffusers
/// sections are replaced; without it the output holds the imported sections, to which a model section is added.
/// </summary>
public static class ImportDiffusersCommand
{
    public static int Run(PipelineHost host, Arguments a, TextWriter stdout, TextWriter stderr)
    {
        if (a.Positional.Count != 1) throw new PipelineInputException("'import-diffusers' takes one scheduler_config.json; see --help");
        if (a.Value("steps") is not { } stepsText || !int.TryParse(stepsText, out int steps) || steps < 1)
            throw new PipelineInputException("'import-diffusers' needs --steps N (a positive integer): diffusers' num_inference_steps");
        string file = Path.GetFullPath(a.Positional[0]);
        var config = DiffusersConfig.Load(file, "$", m => new PipelineInputException($"{a.Positional[0]}: {m}"));
        var import = DiffusersImporter.Import(config, steps, a.Has("diffusers-conventions"));
        foreach (var w in import.Warnings) stderr.WriteLine($"warning: {w}");

        var catalog = host.Catalog;
        JObject document;
        if (a.Value("definition") is { } baseFile)
        {
            var text = File.ReadAllText(baseFile);
            if (JsonSyntax.Check(text) is { } problem)
                throw new PipelineInputException($"{baseFile}: malformed JSON at line {problem.Line}, column {problem.Column}: {problem.Message}");
            document = JObject.Parse(text);
            foreach (var name in new[] { "noiseSchedule", "timeSteps", "solver", DiffusersSection.Name }) document.Remove(name);
        }
        else document = [];
        var output = new JObject();
        foreach (var p in document.Properties().Where(p => p.Name is "$schema" or "name" or "plugins" or "model")) output.Add(new JProperty(p));
        output["noiseSchedule"] = Spelled(catalog, PluginKinds.NoiseSchedule, import.NoiseSchedule);
        output["timeSteps"] = Spelled(catalog, PluginKinds.TimeSteps, import.TimeSteps);
        output["solver"] = Spelled(catalog, PluginKinds.Solver, import.Solver);
        var guidance = document["guidance"] as JArray ?? [];
        foreach (var g in import.Guidance) guidance.Add(Spelled(catalog, PluginKinds.Guidance, g));
        if (guidance.Count > 0) output["guidance"] = guidance;
        foreach (var p in document.Properties().Where(p => output.Property(p.Name) is null)) output.Add(new JProperty(p));
        if (output["model"] is null) stderr.WriteLine("note: add a \"model\" section (run 'list model'), or pass --definition with one");

        var json = output.ToString(Formatting.Indented) + "\n";
        if (a.Value("output") is { } target)
        {
            File.WriteAllText(target, json);
            stdout.WriteLine($"wrote {target} ({import.ClassName}, {steps} steps)");
        }
        else stdout.Write(json);
        return Program.Ok;
    }

    /// <summary>The section with every option of its plugin, defaults filled in, checked by binding it.</summary>
    static JObject Spelled(Plugins.PluginCatalog catalog, string kind, JObject section)
    {
        string type = (string)section["type"]!;
        var entry = catalog.Find(kind, type);
        var options = (JObject)section.DeepClone();
        options.Remove("type");
        var written = OptionsBinder.Write(OptionsBinder.Bind(entry.Options, options, $"{kind} '{type}'"));
        var o = new JObject { ["type"] = type };
        foreach (var p in written.Properties()) o.Add(new JProperty(p));
        return o;
    }
}
