using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Plugins;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Definitions;

/// <summary>
/// Generates a JSON Schema (draft 2020-12) of pipeline definitions from the loaded plugins' options; <c>$defs/optimization</c>
/// describes optimization files.
/// </summary>
public static class SchemaWriter
{
    public static JObject Write(PluginCatalog catalog)
    {
        JObject Component(string kind) => new()
        {
            ["oneOf"] = new JArray(catalog.OfKind(kind).Select(e => Plugin(e))),
        };
        JObject List(string kind) => new() { ["type"] = "array", ["items"] = Component(kind) };

        // Optimization files (the optimize command) reference a pipeline and name an offline optimizer.
        var optimization = new JObject
        {
            ["title"] = "Optimization file (pipeline optimize)",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JArray("pipeline", "optimizer"),
            ["properties"] = new JObject
            {
                ["$schema"] = new JObject { ["type"] = "string" },
                ["name"] = new JObject { ["type"] = "string", ["description"] = "Optimization name; default output folder runs/<name>-optimize", ["minLength"] = 1, ["maxLength"] = RunName.MaxLength, ["pattern"] = RunName.Pattern },
                ["pipeline"] = new JObject
                {
                    ["description"] = "The pipeline to optimize: a definition file (relative to this file) or an inline definition",
                    ["oneOf"] = new JArray(new JObject { ["type"] = "string" }, new JObject { ["$ref"] = "#" }),
                },
                ["optimizer"] = Component(PluginKinds.OfflineOptimizer),
                ["metric"] = Component(PluginKinds.Metric),
                ["directory"] = new JObject { ["type"] = "string", ["description"] = "Output folder, relative to this file" },
                ["overwrite"] = new JObject { ["type"] = "boolean", ["description"] = "Replace an existing output folder and start afresh" },
            },
        };

        return new JObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "Sampling pipeline definition",
            ["$defs"] = new JObject { ["optimization"] = optimization },
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JArray(PipelineDefinition.Sections.Where(s => s.Value).Select(s => s.Key)),
            ["properties"] = new JObject
            {
                ["$schema"] = new JObject { ["type"] = "string" },
                ["name"] = new JObject { ["type"] = "string", ["description"] = "Run name; default output folder runs/<name>", ["minLength"] = 1, ["maxLength"] = RunName.MaxLength, ["pattern"] = RunName.Pattern },
                ["plugins"] = new JObject { ["type"] = "array", ["items"] = new JObject { ["type"] = "string" }, ["description"] = "Extra plugin folders, relative to this file" },
                ["model"] = Component(PluginKinds.Model),
                ["noiseSchedule"] = Component(PluginKinds.NoiseSchedule),
                ["timeSteps"] = Component(PluginKinds.TimeSteps),
                ["solver"] = Component(PluginKinds.Solver),
                ["guidance"] = List(PluginKinds.Guidance),
                ["optimizers"] = List(PluginKinds.Optimizer),
                ["metrics"] = List(PluginKinds.Metric),
                ["sampling"] = Options(typeof(SamplingSettings)),
                ["outputs"] = Options(typeof(OutputSettings)),
                [FileLedger.Section] = new JObject
                {
                    ["type"] = "object",
                    ["description"] = "Written by a run into definition.resolved.json: each input file's SHA-256 and size by absolute path; a file that differs is refused",
                    ["additionalProperties"] = new JObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JObject { ["sha256"] = new JObject { ["type"] = "string" }, ["size"] = new JObject { ["type"] = "integer" } },
                    },
                },
            },
        };
    }

    static JObject Plugin(PluginEntry entry)
    {
        var schema = Options(entry.Options);
        var props = (JObject)schema["properties"]!;
        props.AddFirst(new JProperty("type", new JObject
        {
            ["enum"] = new JArray(entry.Names),
            ["description"] = entry.Metadata.Summary,
        }));
        var required = (JArray)schema["required"]!;
        required.Insert(0, "type");
        schema["title"] = entry.Name;
        return schema;
    }

    public static JObject Options(Type type)
    {
        var properties = new JObject();
        var required = new JArray();
        object? defaults = type.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance(type) : null;
        foreach (var p in OptionsBinder.Settable(type))
        {
            var name = OptionsConventions.JsonName(p.Name);
            var s = Of(p.PropertyType);
            if (OptionsBinder.Describe(p) is { } d) s["description"] = d;
            OptionRange.Of(p)?.WriteTo(s);
            if (p.GetCustomAttribute<RequiredAttribute>() is not null) required.Add(name);
            else if (defaults is not null && p.GetValue(defaults) is { } value)
                s["default"] = OptionsBinder.Write(defaults)[name];
            properties[name] = s;
        }
        return new JObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
            ["required"] = required,
        };
    }

    static JObject Of(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying is not null || !type.IsValueType;
        type = underlying ?? type;
        JObject s;
        if (type == typeof(string)) s = new JObject { ["type"] = "string" };
        else if (type == typeof(bool)) s = new JObject { ["type"] = "boolean" };
        else if (type == typeof(int) || type == typeof(long)) s = new JObject { ["type"] = "integer" };
        else if (type == typeof(double) || type == typeof(float)) s = new JObject { ["type"] = "number" };
        else if (type == typeof(System.Text.Json.Nodes.JsonObject))
            s = new JObject { ["type"] = "object", ["required"] = new JArray("type"), ["description"] = "a plugin definition { \"type\": ..., ...options }" };
        else if (type.IsEnum) s = new JObject { ["enum"] = new JArray(Enum.GetNames(type).Select(OptionsConventions.EnumName)) };
        else if (type.IsArray) s = new JObject { ["type"] = "array", ["items"] = Of(type.GetElementType()!) };
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)) s = new JObject { ["type"] = "array", ["items"] = Of(type.GetGenericArguments()[0]) };
        else s = Options(type);
        if (nullable && s["type"] is JValue t) s["type"] = new JArray((string)t!, "null");
        return s;
    }
}
