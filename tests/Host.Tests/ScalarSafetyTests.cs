using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>
/// No project code may hand libtorch a Scalar that nothing keeps alive (TorchSharp frees Scalars in a finalizer that can
/// run during the native call: wrong values, NaN losses or "Expected false to be true" in Scalar.h under load).
/// </summary>
public class ScalarSafetyTests
{
    static string Base => AppContext.BaseDirectory;

    static IEnumerable<string> ProjectAssemblies() =>
        Directory.GetFiles(Base, "Pipeline.*.dll")
            .Where(p => !Path.GetFileName(p).Contains(".Tests", StringComparison.Ordinal))
            .Concat(Directory.GetFiles(Path.Combine(Base, "plugins"), "Pipeline.*.dll", SearchOption.AllDirectories))
            .GroupBy(Path.GetFileName).Select(g => g.First());

    /// <summary>
    /// The test assemblies of the same build (their harnesses sample too, and a dropped Scalar there fails a test
    /// under load just the same); `dotnet test` builds them all before any runs.
    /// </summary>
    static IEnumerable<string> TestAssemblies()
    {
        var build = Path.GetRelativePath(Path.Combine(PluginBuilds.RepoRoot, "tests", "Host.Tests"), Base);
        foreach (var project in Directory.GetDirectories(Path.Combine(PluginBuilds.RepoRoot, "tests"), "*.Tests"))
        {
            var dll = Path.Combine(project, build, Path.GetFileName(project) + ".dll");
            if (File.Exists(dll)) yield return dll;
        }
    }

    /// <summary>
    /// Test code held to the rule: the shared harnesses (TestSupport, Support), which sample, and every test of the
    /// solver, guidance and optimizer projects that runs under the stress script. Other test bodies that compute an
    /// expected value with TorchSharp's operators are not yet (docs/development.md).
    /// </summary>
    static bool IsHarness(string method) =>
        method.StartsWith("Pipeline.Tests.TestSupport.", StringComparison.Ordinal) ||
        method.StartsWith("Pipeline.Tests.Support.", StringComparison.Ordinal);

    [Fact]
    public void NoProjectCodeDropsAScalar()
    {
        var unsafeTorch = ScalarLifetimeScan.UnsafeTorchSharpMethods(Path.Combine(Base, "TorchSharp.dll"));
        var assemblies = ProjectAssemblies().ToList();
        Assert.Contains(assemblies, a => a.EndsWith("Pipeline.Plugins.Solvers.dll", StringComparison.Ordinal));
        // TorchScript's forward(object[]) turns boxed numbers into Scalars; the project passes it tensors only.
        unsafeTorch.Remove("TorchSharp.torch/jit/ScriptModule::forward(Object[])");
        var findings = assemblies.Concat(TestAssemblies()).SelectMany(a => ScalarLifetimeScan.Scan(a, unsafeTorch))
            .Where(f => !f.Method.Contains("ScalarSafetyTests/Unsafe", StringComparison.Ordinal))
            .Where(f => !f.Assembly.EndsWith(".Tests.dll", StringComparison.Ordinal) || IsHarness(f.Method)).ToList();
        Assert.True(findings.Count == 0, $"{findings.Count} places drop a Scalar:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void TheScanFindsTheUnsafeForms()
    {
        var unsafeTorch = ScalarLifetimeScan.UnsafeTorchSharpMethods(Path.Combine(Base, "TorchSharp.dll"));
        // TorchSharp's optimizers and its number overloads drop Scalars inside; the scan must know them.
        Assert.Contains(unsafeTorch, k => k.StartsWith("TorchSharp.Modules.Adam::step(", StringComparison.Ordinal));
        Assert.Contains(unsafeTorch, k => k.StartsWith("TorchSharp.torch/Tensor::op_Multiply(TorchSharp.torch/Tensor,Double)", StringComparison.Ordinal));
        var findings = ScalarLifetimeScan.Scan(typeof(ScalarSafetyTests).Assembly.Location, unsafeTorch);
        var keys = findings.Select(f => f.Method).ToList();
        Assert.Contains(keys, k => k.Contains(nameof(Unsafe.Dropped)));
        Assert.Contains(keys, k => k.Contains(nameof(Unsafe.ThroughOperator)));
        Assert.DoesNotContain(keys, k => k.Contains(nameof(Unsafe.Kept)));
    }

    /// <summary>Forms the scan must refuse (and one it must accept); never called.</summary>
    static class Unsafe
    {
        public static TorchSharp.torch.Tensor Dropped(TorchSharp.torch.Tensor x) => x.mul(0.5);

        public static TorchSharp.torch.Tensor ThroughOperator(TorchSharp.torch.Tensor x) => x * 0.5;

        public static TorchSharp.torch.Tensor Kept(TorchSharp.torch.Tensor x)
        {
            using TorchSharp.Scalar half = 0.5;
            return x.mul(half);
        }
    }
}
