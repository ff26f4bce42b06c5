using System.Diagnostics;

namespace Pipeline.Tests.Support;

/// <summary>
/// Builds tests/Fixtures/ThirdPartyPlugin with the .NET SDK, as a third party would, once per test run:
/// normally, against a contracts assembly of another major version, and (on first use) against a solver kit of
/// another major version.
/// </summary>
public sealed class PluginBuilds : IDisposable
{
    readonly TempFolder root = new();

    public PluginBuilds()
    {
        Current = Build("current", "");
        Incompatible = Build("incompatible", "-p:AbstractionsVersion=2.0.0");
        kitIncompatible = new(() => Build("kit-incompatible", "-p:SolverKitVersion=2.0.0"));
    }

    readonly Lazy<string> kitIncompatible;

    /// <summary>A folder holding the plugin built against this host's contracts.</summary>
    public string Current { get; }

    /// <summary>A folder holding the plugin built against contracts of major version 2.</summary>
    public string Incompatible { get; }

    /// <summary>A folder holding the plugin built against the host's contracts but a solver kit of major version 2.</summary>
    public string KitIncompatible => kitIncompatible.Value;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Pipeline.sln not found above the test folder");
        }
    }

    string Build(string name, string extra)
    {
        var output = Path.Combine(root.Path, name, "ThirdParty");
        var artifacts = Path.Combine(root.Path, name, "artifacts");
        var project = Path.Combine(RepoRoot, "tests", "Fixtures", "ThirdPartyPlugin", "ThirdPartyPlugin.csproj");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";
        // A separate artifacts folder keeps this build from touching the solution's own bin/obj folders.
        var psi = new ProcessStartInfo(dotnet,
            $"build \"{project}\" -c Release -o \"{output}\" -p:UseArtifactsOutput=true -p:ArtifactsPath=\"{artifacts}\" {extra} -nologo -v:q")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0)
            throw new InvalidOperationException($"building the fixture plugin failed:\n{stdout.Result}\n{stderr}");
        return Path.GetDirectoryName(output)!;
    }

    public void Dispose() => root.Dispose();
}
