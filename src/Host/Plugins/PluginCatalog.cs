using System.Composition.Hosting;
using System.Reflection;
using Pipeline.Host.Definitions;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Plugins;

/// <summary>
/// Every plugin found in the plugin folders, by kind and name. MEF (System.Composition) discovers the
/// exports and their metadata; building them is left to dependency injection.
/// </summary>
public sealed class PluginCatalog
{
    readonly List<PluginEntry> entries = [];
    readonly List<PluginLoadError> errors = [];
    readonly List<PluginLoadError> warnings = [];
    // Names are matched without regard to case: users write "logSNR" as often as "logsnr".
    readonly Dictionary<(string Kind, string Name), List<PluginEntry>> byName = new(new NameComparer());

    public IReadOnlyList<PluginEntry> Entries => entries;
    public IReadOnlyList<PluginLoadError> Errors => errors;

    /// <summary>Folders that were searched but hold no plugin assembly (most likely a wrong path); nothing failed.</summary>
    public IReadOnlyList<PluginLoadError> Warnings => warnings;

    /// <summary>Major version of the contracts this host was built with; plugins must match it.</summary>
    public static int AbstractionsMajor => typeof(IPluginExport).Assembly.GetName().Version!.Major;

    /// <summary>
    /// The host's assemblies that every plugin shares instead of loading its own copy: the contract, the solver kit and
    /// Common. A plugin built against another major version of any of them is refused, naming the assembly.
    /// </summary>
    public static IReadOnlyList<AssemblyName> SharedAssemblies { get; } =
    [
        typeof(IPluginExport).Assembly.GetName(),
        typeof(Pipeline.SolverKit.StepLoop).Assembly.GetName(),
        typeof(Pipeline.IO.NpyFile).Assembly.GetName(),
    ];

    public static PluginCatalog Load(IEnumerable<string> folders, IPluginAssemblyLoader? loader = null)
    {
        loader ??= new McMasterPluginLoader();
        var catalog = new PluginCatalog();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
            {
                catalog.errors.Add(new(folder, "plugin folder does not exist"));
                continue;
            }
            int found = 0, strays = catalog.errors.Count;
            foreach (var file in catalog.PluginFiles(folder))
            {
                found++;
                if (seen.Add(Path.GetFullPath(file)))
                    catalog.LoadFile(file, loader);
            }
            if (found == 0 && catalog.errors.Count == strays)
                catalog.warnings.Add(new(folder, "plugin folder holds no plugin assembly (a .dll with its .deps.json, in the folder or a subfolder); " +
                                                 "pass the plugin's build output folder, such as bin/Debug/net10.0"));
        }
        return catalog;
    }

    /// <summary>
    /// Main assemblies of a plugin folder: each *.dll with a *.deps.json beside it, in the folder itself
    /// and in its direct subfolders (a folder of plugin folders, like the host's own plugins/). A *.dll
    /// that has no .deps.json and that no .deps.json beside it names as an asset is reported: it is most
    /// likely a plugin copied without its dependency file, which cannot be loaded. Copies of the host's shared
    /// assemblies (<c>dotnet build -o</c> puts them beside the plugin) are skipped: the plugin gets the host's.
    /// </summary>
    IEnumerable<string> PluginFiles(string folder)
    {
        foreach (var dir in (string[])[folder, .. Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal)])
        {
            var dlls = Directory.EnumerateFiles(dir, "*.dll").Order(StringComparer.Ordinal)
                .Where(f => !SharedAssemblies.Any(a => string.Equals(a.Name, Path.GetFileNameWithoutExtension(f), StringComparison.OrdinalIgnoreCase)))
                .ToList();
            var plugins = dlls.Where(f => File.Exists(Path.ChangeExtension(f, ".deps.json"))).ToList();
            var named = plugins.SelectMany(f => DependencyFileCheck.AssetFileNames(Path.ChangeExtension(f, ".deps.json")))
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var stray in dlls.Except(plugins).Where(f => !named.Contains(Path.GetFileName(f))))
                errors.Add(new(stray, $"not loaded: there is no {Path.GetFileNameWithoutExtension(stray)}.deps.json beside it; copy the plugin's whole build output (dotnet build writes the .deps.json)"));
            foreach (var f in plugins) yield return f;
        }
    }

    void LoadFile(string file, IPluginAssemblyLoader loader)
    {
        try
        {
            var depsFile = Path.ChangeExtension(file, ".deps.json");
            if (DependencyFileCheck.Problem(depsFile) is { } problem)
            {
                errors.Add(new(depsFile, problem));
                return;
            }
            var assembly = loader.Load(file);
            var references = assembly.GetReferencedAssemblies();
            if (!references.Any(a => a.Name == SharedAssemblies[0].Name)) return; // not a plugin (a dependency that happens to have deps.json)
            if (VersionProblem(references) is { } mismatch)
            {
                errors.Add(new(file, mismatch));
                return;
            }
            var container = new ContainerConfiguration().WithAssembly(assembly).CreateContainer();
            foreach (var export in container.GetExports<Lazy<IPluginExport, PluginMetadata>>())
                Add(export, file);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException
                                      or ReflectionTypeLoadException or TypeLoadException or System.Composition.Hosting.CompositionFailedException
                                      or InvalidOperationException or MissingMethodException)
        {
            var reason = e is ReflectionTypeLoadException r && r.LoaderExceptions.FirstOrDefault(x => x is not null) is { } inner
                ? inner.Message : e.Message;
            errors.Add(new(file, $"failed to load: {reason}"));
        }
    }

    /// <summary>The first shared assembly the plugin references with another major version than the host's, as a message.</summary>
    static string? VersionProblem(AssemblyName[] references)
    {
        foreach (var host in SharedAssemblies)
            if (references.FirstOrDefault(a => a.Name == host.Name) is { } used && used.Version?.Major != host.Version!.Major)
                return $"built against {host.Name} {used.Version}, but this host has {host.Version}; rebuild the plugin against major version {host.Version.Major}";
        return null;
    }

    void Add(Lazy<IPluginExport, PluginMetadata> export, string file)
    {
        var meta = export.Metadata;
        if (!PluginKinds.All.Contains(meta.Kind))
        {
            errors.Add(new(file, $"plugin '{meta.Name}' has unknown kind '{meta.Kind}' (known: {string.Join(", ", PluginKinds.All)})"));
            return;
        }
        var value = export.Value;
        var contract = PluginKinds.ContractOf(meta.Kind);
        if (!contract.IsAssignableFrom(value.Implementation))
        {
            errors.Add(new(file, $"plugin '{meta.Name}' is declared as {meta.Kind} but {value.Implementation.Name} does not implement {contract.Name}"));
            return;
        }
        var entry = new PluginEntry(meta, value.Implementation, value.Options, file);
        foreach (var name in entry.Names)
        {
            var key = (meta.Kind, name);
            if (byName.TryGetValue(key, out var existing))
            {
                errors.Add(new(file, $"{meta.Kind} name '{name}' is also defined by {existing[0].File}; the name is ambiguous until one of them is removed"));
                existing.Add(entry);
            }
            else byName[key] = [entry];
        }
        entries.Add(entry);
    }

    /// <summary>
    /// What went wrong while loading, for messages about a missing plugin: an embedding program sees the reasons
    /// in the error itself rather than a pointer to a command it may not have.
    /// </summary>
    string LoadProblems()
    {
        var problems = errors.Concat(warnings).ToList();
        if (problems.Count == 0) return "";
        const int shown = 5;
        string more = problems.Count > shown ? $"; and {problems.Count - shown} more" : "";
        return $" Plugin load problems: {string.Join("; ", problems.Take(shown))}{more}.";
    }

    /// <summary>The plugin of <paramref name="kind"/> called <paramref name="name"/>, or an error naming the place and near names.</summary>
    public PluginEntry Find(string kind, string name, Newtonsoft.Json.Linq.JToken? at = null)
    {
        if (byName.TryGetValue((kind, name), out var found))
        {
            if (found.Count == 1) return found[0];
            throw DefinitionError.At(at, $"{kind} '{name}' is defined by several plugin files ({string.Join(", ", found.Select(f => f.File))}); remove all but one");
        }
        var names = byName.Keys.Where(k => k.Kind == kind).Select(k => k.Name).Distinct().Order().ToList();
        string hint = NameSuggester.Hint(name, names);
        string failed = LoadProblems();
        throw DefinitionError.At(at, $"unknown {kind} '{name}'.{hint} Available: {(names.Count == 0 ? "none" : string.Join(", ", names))}.{failed}");
    }

    sealed class NameComparer : IEqualityComparer<(string Kind, string Name)>
    {
        public bool Equals((string Kind, string Name) a, (string Kind, string Name) b) =>
            a.Kind == b.Kind && string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string Kind, string Name) k) =>
            HashCode.Combine(k.Kind, StringComparer.OrdinalIgnoreCase.GetHashCode(k.Name));
    }

    public IEnumerable<PluginEntry> OfKind(string kind) => entries.Where(e => e.Kind == kind).OrderBy(e => e.Name, StringComparer.Ordinal);
}
