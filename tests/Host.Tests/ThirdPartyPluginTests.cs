using Pipeline.Host;
using Pipeline.Host.Plugins;
using Pipeline.Plugins;
using Pipeline.Tests.Support;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>Plugins built outside the host, dropped into folders and used by name.</summary>
public class ThirdPartyPluginTests(PluginBuilds builds) : IClassFixture<PluginBuilds>
{
    [Fact]
    public void ASolverBuiltSeparatelyRunsByNameFromJson()
    {
        using var dir = new TempFolder();
        string plugins = builds.Current.Replace("\\", "/");
        var withPlugin = Definitions.Gmm(solver: "\"type\": \"third-party-euler\"", sampling: "\"count\": 8, \"seed\": 5",
            extra: $",\n \"plugins\": [\"{plugins}\"]");
        var host = new PipelineHost();
        using var p = host.Compose(withPlugin);
        using var r = host.Sample(p);
        // The plugin is DPM-Solver-1 in data-prediction form, which is DDIM: same math, same samples.
        using var q = host.Compose(Definitions.Gmm(sampling: "\"count\": 8, \"seed\": 5"));
        using var s = host.Sample(q);
        Assert.True(torch.allclose(r.Samples, s.Samples, rtol: 1e-4, atol: 1e-5), "third-party-euler must match ddim (eta 0)");

        // The same through the command line's --plugins option, by alias.
        var file = dir.Write("tp.json", Definitions.Gmm(solver: "\"type\": \"tp-euler\""));
        var cli = Cli.Run("run", file, "--plugins", builds.Current, "--output", dir.File("out"), "--quiet");
        Assert.True(cli.ExitCode == 0, cli.Err);
    }

    [Fact]
    public void ANonFiniteModelOutputStopsTheRunNamingTheStep()
    {
        using var dir = new TempFolder();
        var json = Definitions.Gmm(steps: 10, sampling: "\"count\": 4, \"seed\": 1").Replace(Definitions.Mixture,
            "\"model\": { \"type\": \"nan-model\", \"nanBelow\": 0.65 }");
        var file = dir.Write("nan.json", json);
        var r = Cli.Run("run", file, "--plugins", builds.Current, "--output", dir.File("out"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        // time-uniform over [1, 0.001] with 10 steps evaluates at 1, 0.9001, ..., 0.7003, 0.6004: step 5 is the first below 0.65.
        Assert.Contains("not finite", r.Err);
        Assert.Contains("step 5 of 10", r.Err);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public void CorruptPluginsAreReportedAndTheOthersStillWork()
    {
        using var dir = new TempFolder();
        void Plugin(string name, byte[] dll, string deps)
        {
            var folder = Path.Combine(dir.Path, name);
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name + ".dll"), dll);
            File.WriteAllText(Path.Combine(folder, name + ".deps.json"), deps);
        }
        Plugin("BadImage", [0x4d, 0x5a, 1, 2, 3],
            """{ "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0" }, "targets": { ".NETCoreApp,Version=v10.0": {} }, "libraries": {} }""");
        // The runtime's resolver would abort the process on this one; the catalog must refuse it first.
        Plugin("BadDeps", File.ReadAllBytes(Path.Combine(builds.Current, "ThirdParty", "ThirdParty.Sampling.dll")), "{}");

        var catalog = PluginCatalog.Load([Path.Combine(AppContext.BaseDirectory, "plugins"), dir.Path]);
        Assert.Equal(2, catalog.Errors.Count);
        Assert.Contains(catalog.Errors, e => e.File.EndsWith("BadImage.dll") && e.Reason.Contains("failed to load"));
        Assert.Contains(catalog.Errors, e => e.File.EndsWith("BadDeps.deps.json") && e.Reason.Contains("runtimeTarget"));
        Assert.Equal("ddim", catalog.Find(PluginKinds.Solver, "ddim").Name);

        var list = Cli.Run("list", "solver", "--plugins", dir.Path);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("BadImage.dll", list.Out);
    }

    [Fact]
    public void TwoPluginsWithOneNameAreAnErrorNamingBothFiles()
    {
        using var dir = new TempFolder();
        foreach (var copy in new[] { "A", "B" })
        {
            var target = Path.Combine(dir.Path, copy);
            Directory.CreateDirectory(target);
            foreach (var f in Directory.GetFiles(Path.Combine(builds.Current, "ThirdParty")))
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        }
        var catalog = PluginCatalog.Load([Path.Combine(AppContext.BaseDirectory, "plugins"), dir.Path]);
        Assert.Contains(catalog.Errors, e => e.Reason.Contains("'third-party-euler' is also defined by"));
        var ex = Assert.ThrowsAny<Exception>(() => catalog.Find(PluginKinds.Solver, "third-party-euler"));
        Assert.Contains(Path.Combine(dir.Path, "A"), ex.Message);
        Assert.Contains(Path.Combine(dir.Path, "B"), ex.Message);
        Assert.Equal("ddim", catalog.Find(PluginKinds.Solver, "ddim").Name);
    }

    [Fact]
    public void APluginBuiltAgainstAnotherContractsMajorVersionIsRejected()
    {
        var catalog = PluginCatalog.Load([Path.Combine(AppContext.BaseDirectory, "plugins"), builds.Incompatible]);
        var error = Assert.Single(catalog.Errors);
        Assert.EndsWith("ThirdParty.Sampling.dll", error.File);
        Assert.Contains("major version 1", error.Reason);
        Assert.DoesNotContain(catalog.Entries, e => e.Name == "third-party-euler");
        Assert.Equal("ddim", catalog.Find(PluginKinds.Solver, "ddim").Name);
    }

    [Fact]
    public void APluginBuiltAgainstAnotherSolverKitMajorVersionIsRejectedNamingTheKit()
    {
        var catalog = PluginCatalog.Load([builds.KitIncompatible]);
        var error = Assert.Single(catalog.Errors);
        Assert.EndsWith("ThirdParty.Sampling.dll", error.File);
        Assert.Contains("Pipeline.SolverKit 2.0.0", error.Reason);
        Assert.Contains("major version 1", error.Reason);
        Assert.Empty(catalog.Entries);
    }

    [Fact]
    public void APluginUsesTheHostsSolverKitEvenWithItsOwnCopyBesideIt()
    {
        // dotnet build -o writes the referenced kit and contract next to the plugin; the loader skips them and the
        // plugin's load context resolves both to the host's assemblies, so there is one kit in the process.
        var folder = Path.Combine(builds.Current, "ThirdParty");
        Assert.True(File.Exists(Path.Combine(folder, "Pipeline.SolverKit.dll")), "the build is expected to copy the kit beside the plugin");
        var catalog = PluginCatalog.Load([builds.Current]);
        Assert.Empty(catalog.Errors);
        var entry = catalog.Find(PluginKinds.Solver, "third-party-euler");
        var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(entry.Implementation.Assembly)!;
        Assert.NotSame(System.Runtime.Loader.AssemblyLoadContext.Default, context);
        Assert.Same(typeof(Pipeline.SolverKit.StepLoop).Assembly, context.LoadFromAssemblyName(new("Pipeline.SolverKit")));
        Assert.Same(typeof(IPluginExport).Assembly, context.LoadFromAssemblyName(new("Pipeline.Abstractions")));
        // The built-in solvers ship without a copy too (plugins/Directory.Build.targets).
        Assert.Empty(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "plugins"), "Pipeline.SolverKit.*", SearchOption.AllDirectories));
    }
}
