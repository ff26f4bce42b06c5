using System.Text.Json;

namespace Pipeline.Host.Plugins;

/// <summary>
/// Checks a plugin's .deps.json before the runtime's dependency resolver reads it. The resolver (native
/// hostpolicy code) trusts the file's shape: a target library, a "runtime" section or a library entry of
/// the wrong JSON type crashes the whole process (SIGSEGV, or abort in std::string). So every part it
/// reads is checked here for structure and type, and the first bad one is named by its JSON path.
/// </summary>
/// <remarks>
/// The shape is that of the deps.json format of the .NET host (dotnet/runtime docs/design/features/host-
/// probing.md and DependencyContextJsonReader): runtimeTarget { name, signature }, targets { framework:
/// { "name/version": { dependencies { name: version }, runtime|native|resources|compile { path: { key:
/// string } }, runtimeTargets { path: { rid, assetType, ... } }, compileOnly, serviceable } } },
/// libraries { "name/version": { type, serviceable, sha512, path, hashPath, runtimeStoreManifestName } },
/// runtimes { rid: [ rid ] }.
/// </remarks>
public static class DependencyFileCheck
{
    static readonly string[] AssetSections = ["runtime", "native", "resources", "compile"];
    static readonly string[] LibraryStrings = ["type", "sha512", "path", "hashPath", "runtimeStoreManifestName"];

    /// <returns>Null when the file is well-formed, else what is wrong and where.</returns>
    public static string? Problem(string depsFile)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(depsFile));
            var problem = Check(doc.RootElement);
            return problem is null ? null : $"malformed plugin dependency file: {problem}; rebuild the plugin (dotnet build writes this file); the plugin is not loaded";
        }
        catch (JsonException e)
        {
            return $"the plugin dependency file is not valid JSON (line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}); rebuild the plugin; the plugin is not loaded";
        }
        catch (IOException e)
        {
            return $"the plugin dependency file cannot be read ({e.Message}); the plugin is not loaded";
        }
    }

    /// <summary>File names of the assets a (well-formed) .deps.json lists; empty when it cannot be read.</summary>
    public static IEnumerable<string> AssetFileNames(string depsFile)
    {
        var names = new List<string>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(depsFile));
            if (Check(doc.RootElement) is not null) return names;
            foreach (var framework in doc.RootElement.GetProperty("targets").EnumerateObject())
                foreach (var lib in framework.Value.EnumerateObject())
                    foreach (var section in (string[])[.. AssetSections, "runtimeTargets"])
                        if (lib.Value.TryGetProperty(section, out var assets))
                            names.AddRange(assets.EnumerateObject().Select(a => Path.GetFileName(a.Name)));
        }
        catch (Exception e) when (e is JsonException or IOException) { }
        return names;
    }

    static string? Check(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return "$ must be an object";
        if (!root.TryGetProperty("runtimeTarget", out var target) || target.ValueKind != JsonValueKind.Object)
            return "$.runtimeTarget must be an object { \"name\": ... }";
        if (!target.TryGetProperty("name", out var targetName) || targetName.ValueKind != JsonValueKind.String)
            return "$.runtimeTarget.name must be a string";
        if (OptionalString(target, "signature", "$.runtimeTarget") is { } s) return s;

        if (!root.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object)
            return "$.libraries must be an object";
        foreach (var lib in libraries.EnumerateObject())
            if (Library(lib, $"$.libraries{Key(lib.Name)}") is { } problem) return problem;

        if (!root.TryGetProperty("targets", out var targets) || targets.ValueKind != JsonValueKind.Object)
            return "$.targets must be an object";
        foreach (var framework in targets.EnumerateObject())
        {
            string at = $"$.targets{Key(framework.Name)}";
            if (framework.Value.ValueKind != JsonValueKind.Object) return $"{at} must be an object of libraries";
            foreach (var lib in framework.Value.EnumerateObject())
            {
                if (TargetLibrary(lib, $"{at}{Key(lib.Name)}") is { } problem) return problem;
                if (!libraries.TryGetProperty(lib.Name, out _))
                    return $"{at}{Key(lib.Name)} has no entry in $.libraries";
            }
        }
        if (!targets.TryGetProperty(targetName.GetString()!, out _))
            return $"$.targets has no entry for the runtime target '{targetName.GetString()}'";

        if (root.TryGetProperty("runtimes", out var runtimes))
        {
            if (runtimes.ValueKind != JsonValueKind.Object) return "$.runtimes must be an object";
            foreach (var rid in runtimes.EnumerateObject())
                if (rid.Value.ValueKind != JsonValueKind.Array || rid.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                    return $"$.runtimes{Key(rid.Name)} must be an array of strings";
        }
        return null;
    }

    static string? Library(JsonProperty lib, string at)
    {
        if (!lib.Name.Contains('/')) return $"{at}: a library is named \"name/version\"";
        if (lib.Value.ValueKind != JsonValueKind.Object) return $"{at} must be an object {{ \"type\", \"serviceable\", \"sha512\", ... }}";
        if (!lib.Value.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            return $"{at}.type must be a string";
        foreach (var key in LibraryStrings)
            if (OptionalString(lib.Value, key, at) is { } problem) return problem;
        return OptionalBool(lib.Value, "serviceable", at);
    }

    static string? TargetLibrary(JsonProperty lib, string at)
    {
        if (!lib.Name.Contains('/')) return $"{at}: a library is named \"name/version\"";
        if (lib.Value.ValueKind != JsonValueKind.Object) return $"{at} must be an object";
        var value = lib.Value;
        if (value.TryGetProperty("dependencies", out var deps))
        {
            if (deps.ValueKind != JsonValueKind.Object) return $"{at}.dependencies must be an object {{ name: version }}";
            foreach (var d in deps.EnumerateObject())
                if (d.Value.ValueKind != JsonValueKind.String) return $"{at}.dependencies{Key(d.Name)} must be a version string";
        }
        foreach (var section in AssetSections)
            if (Assets(value, section, at, []) is { } problem) return problem;
        if (Assets(value, "runtimeTargets", at, ["rid", "assetType"]) is { } rt) return rt;
        return OptionalBool(value, "compileOnly", at) ?? OptionalBool(value, "serviceable", at);
    }

    /// <summary>A section { path: { key: string } }, with <paramref name="required"/> keys in every entry.</summary>
    static string? Assets(JsonElement lib, string section, string at, string[] required)
    {
        if (!lib.TryGetProperty(section, out var assets)) return null;
        at = $"{at}.{section}";
        if (assets.ValueKind != JsonValueKind.Object) return $"{at} must be an object {{ path: {{ ... }} }}";
        foreach (var asset in assets.EnumerateObject())
        {
            string here = $"{at}{Key(asset.Name)}";
            if (asset.Name.Length == 0) return $"{here}: an asset path is not empty";
            if (asset.Value.ValueKind != JsonValueKind.Object) return $"{here} must be an object";
            foreach (var p in asset.Value.EnumerateObject())
                if (p.Value.ValueKind != JsonValueKind.String) return $"{here}.{p.Name} must be a string";
            foreach (var key in required)
                if (!asset.Value.TryGetProperty(key, out _)) return $"{here} needs \"{key}\"";
        }
        return null;
    }

    static string? OptionalString(JsonElement o, string key, string at) =>
        o.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.String ? $"{at}.{key} must be a string" : null;

    static string? OptionalBool(JsonElement o, string key, string at) =>
        o.TryGetProperty(key, out var v) && v.ValueKind is not (JsonValueKind.True or JsonValueKind.False) ? $"{at}.{key} must be true or false" : null;

    static string Key(string name) => $"['{name}']";
}
