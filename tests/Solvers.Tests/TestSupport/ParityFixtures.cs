using System.Text.Json;
using Pipeline.Plugins.Models;

namespace Pipeline.Tests.TestSupport;

/// <summary>The parity fixtures of tests/Fixtures/Parity/&lt;name&gt;, made by the scripts beside them.</summary>
public static class ParityFixtures
{
    /// <summary>The fixture folder, found from the test's output folder upwards.</summary>
    public static string Folder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Fixtures", "Parity", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/Fixtures/Parity/{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The entries of the folder's cases.json, in order.</summary>
    public static List<JsonElement> Cases(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>The isotropic mixture of the folder's gmm.json (weights, means, one std per component).</summary>
    public static GaussianMixtureModel Mixture(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "gmm.json")));
        var root = doc.RootElement;
        double[] Row(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return new GaussianMixtureModel(new GaussianMixtureOptions
        {
            Weights = Row(root.GetProperty("weights")),
            Means = root.GetProperty("means").EnumerateArray().Select(Row).ToArray(),
            Stds = root.GetProperty("stds").EnumerateArray().Select(v => new[] { v.GetDouble() }).ToArray(),
        });
    }
}
