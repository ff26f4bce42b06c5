using System.Text.Json.Nodes;
using Pipeline.Host.Plugins;
using Pipeline.Plugins;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>
/// A plugin folder whose .deps.json has the wrong shape: the runtime's resolver crashed the process on these
/// (SIGSEGV for targets or runtime entries of the wrong type, abort for library entries); the catalog must
/// refuse the plugin, name the file and the bad entry, and keep the other plugins.
/// </summary>
public class PluginDependencyFileTests
{
    static readonly string BuiltIn = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>A copy of the built-in solvers plugin with its deps.json changed by <paramref name="corrupt"/>.</summary>
    static string CorruptCopy(TempFolder dir, Action<JsonObject> corrupt)
    {
        var folder = Path.Combine(dir.Path, "plugins", "Solvers");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(Path.Combine(BuiltIn, "Solvers")))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var deps = Path.Combine(folder, "Pipeline.Plugins.Solvers.deps.json");
        var json = JsonNode.Parse(File.ReadAllText(deps))!.AsObject();
        WithPackageDependency(json);
        corrupt(json);
        File.WriteAllText(deps, json.ToJsonString());
        return deps;
    }

    /// <summary>
    /// The built-in plugins depend on nothing but the shared contract, so their .deps.json lists only themselves. A
    /// third party's plugin usually brings a package of its own, with dependencies and native assets for several
    /// platforms: such an entry (shaped like TorchSharp's) is added so that every part the resolver reads is present.
    /// </summary>
    static void WithPackageDependency(JsonObject deps)
    {
        const string id = "NativeHelper/1.2.0";
        foreach (var (_, framework) in deps["targets"]!.AsObject())
        {
            framework!.AsObject().First().Value!["dependencies"] = new JsonObject { ["NativeHelper"] = "1.2.0" };
            framework.AsObject()[id] = new JsonObject
            {
                ["dependencies"] = new JsonObject { ["SkiaSharp"] = "3.119.0" },
                ["runtimeTargets"] = new JsonObject
                {
                    ["runtimes/linux-x64/native/libNativeHelper.so"] = new JsonObject { ["rid"] = "linux-x64", ["assetType"] = "native" },
                    ["runtimes/win-x64/native/NativeHelper.dll"] = new JsonObject { ["rid"] = "win-x64", ["assetType"] = "native" },
                },
            };
        }
        deps["libraries"]!.AsObject()[id] = new JsonObject
        {
            ["type"] = "package", ["serviceable"] = true, ["sha512"] = "sha512-AAAA",
            ["path"] = "nativehelper/1.2.0", ["hashPath"] = "nativehelper.1.2.0.nupkg.sha512",
        };
    }

    static IEnumerable<JsonObject> TargetLibraries(JsonObject deps) =>
        deps["targets"]!.AsObject().SelectMany(t => t.Value!.AsObject().Select(l => l.Value).OfType<JsonObject>()).ToList();

    static readonly Dictionary<string, Action<JsonObject>> Crashing = new()
    {
        ["targets"] = deps =>
        {
            foreach (var (_, framework) in deps["targets"]!.AsObject())
                foreach (var name in framework!.AsObject().Select(l => l.Key).ToList()) framework[name] = 5;
        },
        ["runtime"] = deps =>
        {
            foreach (var lib in TargetLibraries(deps))
                if (lib.ContainsKey("runtime")) lib["runtime"] = 5;
        },
        ["libraries"] = deps =>
        {
            var libraries = deps["libraries"]!.AsObject();
            foreach (var name in libraries.Select(l => l.Key).ToList()) libraries[name] = "x";
        },
    };

    [Theory]
    [InlineData("targets", "['Pipeline.Plugins.Solvers/0.1.0'] must be an object")]
    [InlineData("runtime", "['Pipeline.Plugins.Solvers/0.1.0'].runtime must be an object")]
    [InlineData("libraries", "$.libraries['Pipeline.Plugins.Solvers/0.1.0'] must be an object")]
    public void AMalformedDependencyFileIsReportedAndTheHostKeepsRunning(string how, string where)
    {
        using var dir = new TempFolder();
        var deps = CorruptCopy(dir, Crashing[how]);
        var plugins = Path.GetDirectoryName(deps)!;

        var list = CliProcess.Run(dir.Path, "list", "solver", "--plugins", plugins);
        Assert.True(list.ExitCode == 0, $"exit {list.ExitCode}\n{list.Err}");
        Assert.Contains($"error: {deps}: malformed plugin dependency file: ", list.Out);
        Assert.Contains(where, list.Out);
        Assert.Contains("  ddim ", list.Out); // the built-in solvers still load

        var definition = dir.Write("gmm.json", Definitions.Gmm(sampling: "\"count\": 4, \"seed\": 1"));
        var run = CliProcess.Run(dir.Path, "run", definition, "--plugins", plugins, "--output", dir.File("out"), "--quiet");
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Err}");
        Assert.Contains($"warning: plugin {deps}: malformed", run.Err);
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "samples.npy")));
    }

    [Theory]
    [InlineData("runtimeTarget name", "$.runtimeTarget.name must be a string")]
    [InlineData("serviceable", "].serviceable must be true or false")]
    [InlineData("sha512", "].sha512 must be a string")]
    [InlineData("dependencies", ".dependencies must be an object")]
    [InlineData("dependency version", ".dependencies['SkiaSharp'] must be a version string")]
    [InlineData("runtime asset", "['Pipeline.Plugins.Solvers.dll'] must be an object")]
    [InlineData("runtimeTargets rid", "needs \"rid\"")]
    [InlineData("native", ".native must be an object")]
    [InlineData("missing library", "has no entry in $.libraries")]
    [InlineData("not json", "is not valid JSON (line 1")]
    public void EveryPartTheResolverReadsIsCheckedInProcess(string how, string expected)
    {
        using var dir = new TempFolder();
        var deps = CorruptCopy(dir, d =>
        {
            var solvers = TargetLibraries(d).First(l => l.ContainsKey("runtime"));
            var torch = TargetLibraries(d).First(l => l.ContainsKey("runtimeTargets") && l.ContainsKey("dependencies"));
            var libraries = d["libraries"]!.AsObject();
            switch (how)
            {
                case "runtimeTarget name": d["runtimeTarget"]!["name"] = 5; break;
                case "serviceable": libraries.First().Value!["serviceable"] = "yes"; break;
                case "sha512": libraries.First().Value!["sha512"] = 1; break;
                case "dependencies": torch["dependencies"] = new JsonArray("SkiaSharp"); break;
                case "dependency version": torch["dependencies"]!["SkiaSharp"] = 2; break;
                case "runtime asset": solvers["runtime"]!["Pipeline.Plugins.Solvers.dll"] = "x"; break;
                case "runtimeTargets rid": torch["runtimeTargets"]!.AsObject().First().Value!.AsObject().Remove("rid"); break;
                case "native": solvers["native"] = new JsonArray(); break;
                case "missing library": libraries.Remove("Pipeline.Plugins.Solvers/0.1.0"); break;
            }
        });
        if (how == "not json") File.WriteAllText(deps, "{ \"runtimeTarget\": ");
        var catalog = PluginCatalog.Load([BuiltIn, Path.GetDirectoryName(deps)!]);
        var error = Assert.Single(catalog.Errors);
        Assert.Equal(deps, error.File);
        Assert.Contains(expected, error.Reason);
        Assert.Equal("ddim", catalog.Find(PluginKinds.Solver, "ddim").Name);
    }

    [Fact]
    public void ADllWithoutItsDependencyFileIsReported()
    {
        using var dir = new TempFolder();
        var dll = Path.Combine(dir.Path, "Pipeline.Plugins.Solvers.dll");
        File.Copy(Path.Combine(BuiltIn, "Solvers", "Pipeline.Plugins.Solvers.dll"), dll);
        var catalog = PluginCatalog.Load([BuiltIn, dir.Path]);
        var error = Assert.Single(catalog.Errors);
        Assert.Equal(dll, error.File);
        Assert.Contains("no Pipeline.Plugins.Solvers.deps.json beside it", error.Reason);

        // Dependencies that a plugin's .deps.json lists beside it are not plugins and are not reported.
        Assert.Empty(PluginCatalog.Load([BuiltIn]).Errors);
        var list = Cli.Run("list", "solver", "--plugins", dir.Path);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains($"error: {dll}: not loaded", list.Out);
    }
}
