using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;

namespace Pipeline.Host.Diffusers;

/// <summary>
/// The "diffusers" section of a definition: <c>{ "config": "scheduler_config.json" or { ... }, "steps": 20,
/// "conventions": "exact" or "diffusers" }</c> in
/// place of "noiseSchedule", "timeSteps" and "solver". It is replaced by the sections the import gives before the
/// definition is checked, so the resolved definition of a run spells every choice out.
/// </summary>
public static class DiffusersSection
{
    /// <summary>The section's name.</summary>
    public const string Name = "diffusers";

    static readonly string[] Replaced = ["noiseSchedule", "timeSteps", "solver"];

    /// <summary>
    /// <paramref name="document"/> with its "diffusers" section replaced by the imported sections (the same object
    /// when it has none); the import's warnings are added to <paramref name="warnings"/>.
    /// </summary>
    public static JObject Expand(JObject document, string baseDirectory, List<string> warnings)
    {
        if (document[Name] is not { } token) return document;
        if (token is not JObject section)
            throw DefinitionError.At(token, "\"diffusers\" must be an object { \"config\": \"scheduler_config.json\" or { ... }, \"steps\": N }");
        foreach (var p in section.Properties())
            if (p.Name is not ("config" or "steps" or "conventions"))
                throw DefinitionError.At(p, $"unknown key '{p.Name}' in \"diffusers\" (keys: config, steps, conventions)");
        foreach (var name in Replaced)
            if (document.Property(name) is { } clash)
                throw DefinitionError.At(clash, $"'{name}' and \"diffusers\" both set the {name}: the diffusers config gives noiseSchedule, timeSteps and solver; remove one");
        if (section["steps"] is not JValue { Type: JTokenType.Integer } stepsToken || (long)stepsToken < 1 || (long)stepsToken > 100000)
            throw DefinitionError.At(section["steps"] ?? section, "\"steps\" must be an integer in [1, 100000]: the num_inference_steps of diffusers' set_timesteps", "$.diffusers.steps");
        var config = section["config"] switch
        {
            JValue { Type: JTokenType.String } file => DiffusersConfig.Load(Path.GetFullPath((string)file!, baseDirectory), "$.diffusers.config", m => DefinitionError.At(file, m)),
            JObject inline => new DiffusersConfig(inline, "$.diffusers.config", null),
            null => throw DefinitionError.At(section, "\"diffusers\" needs \"config\": a scheduler_config.json file (relative to the definition) or the config object", "$.diffusers.config"),
            var other => throw DefinitionError.At(other, "\"config\" must be a file name or a JSON object"),
        };
        bool compatible = section["conventions"] switch
        {
            null or JValue { Value: "exact" } => false,
            JValue { Value: "diffusers" } => true,
            var other => throw DefinitionError.At(other, "\"conventions\" is \"exact\" (default: the exact method) or \"diffusers\" (diffusers' conventions where they differ and a setting reproduces them)"),
        };
        var import = DiffusersImporter.Import(config, (int)stepsToken, compatible);
        warnings.AddRange(import.Warnings);
        var expanded = new JObject();
        foreach (var p in document.Properties())
        {
            if (p.Name == Name)
            {
                expanded["noiseSchedule"] = import.NoiseSchedule;
                expanded["timeSteps"] = import.TimeSteps;
                expanded["solver"] = import.Solver;
            }
            else expanded.Add(new JProperty(p));
        }
        if (import.Guidance.Count > 0)
        {
            var guidance = expanded["guidance"] as JArray ?? [];
            foreach (var g in import.Guidance) guidance.Add(g);
            expanded["guidance"] = guidance;
        }
        return expanded;
    }
}
