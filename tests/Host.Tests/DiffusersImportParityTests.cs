using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Diffusers;
using Pipeline.IO;
using Pipeline.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace Pipeline.Tests;

/// <summary>
/// Every case of the diffusers parity fixtures (tests/Fixtures/Parity/diffusers, make_diffusers_parity.py: diffusers'
/// own scheduler modules on the exact mixture eps) imported from its config and run through the host with a
/// "diffusers" section: float64 against diffusers' code run in float64 to 1e-5 (measured: rounding, about 1e-13),
/// float32 against diffusers as shipped to 1e-4, or to diffusers' own float32 error plus 1e-4 where that alone is
/// larger. A case the importer refuses must be one the docs list as a different sampler, and where diffusers is NaN
/// the import must be finite.
/// </summary>
public class DiffusersImportParityTests(ITestOutputHelper output)
{
    const double Float64Tolerance = 1e-5, Float32Tolerance = 1e-4;

    static readonly string Folder = Path.Combine(PluginBuilds.RepoRoot, "tests", "Fixtures", "Parity", "diffusers");

    internal static List<JObject> Cases(string set = "") => JArray.Parse(File.ReadAllText(Path.Combine(Folder, set + "cases.json"))).Cast<JObject>().ToList();

    /// <summary>The case's config as diffusers' scheduler_config.json has it: the class name and the keys given.</summary>
    internal static JObject Config(JObject c)
    {
        var config = new JObject { ["_class_name"] = c["scheduler"]!.DeepClone() };
        foreach (var p in ((JObject)c["config"]!).Properties()) config[p.Name] = p.Value.DeepClone();
        return config;
    }

    static string Model()
    {
        var gmm = JObject.Parse(File.ReadAllText(Path.Combine(Folder, "gmm.json")));
        var stds = new JArray(gmm["stds"]!.Select(s => new JArray(s)));
        return $$"""{ "type": "gmm", "weights": {{gmm["weights"]}}, "means": {{gmm["means"]!.ToString(Newtonsoft.Json.Formatting.None)}}, "stds": {{stds.ToString(Newtonsoft.Json.Formatting.None)}} }""";
    }

    internal static string Definition(JObject c, string dtype, string noise, string conventions = "") => $$"""
        {
          "model": {{Model()}},
          "diffusers": { "config": {{Config(c).ToString(Newtonsoft.Json.Formatting.None)}}, "steps": {{c["steps"]}}{{conventions}} },
          "sampling": { "count": 64, "initialNoise": "{{noise}}", "dtype": "{{dtype}}" }
        }
        """;

    static double MaxAbsDiff(torch.Tensor a, torch.Tensor b)
    {
        using var d = (a.to_type(torch.ScalarType.Float64) - b.to_type(torch.ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    /// <summary>The first fixture set (DDIM, PNDM, DPM-Solver multistep and singlestep, UniPC, DEIS).</summary>
    [Fact]
    public void ImportedConfigsMatchDiffusers()
    {
        var (worst, refused) = Check("");
        Assert.Equal(10, refused);
        Assert.Equal(6, worst.Keys.Count(k => !k.EndsWith(")")));
    }

    /// <summary>The sigma-based schedulers (sigma_*: Euler, Heun, LMS, KDPM2), every case imported.</summary>
    [Fact]
    public void ImportedSigmaSchedulerConfigsMatchDiffusers()
    {
        var (worst, refused) = Check("sigma_");
        Assert.Equal(0, refused);
        Assert.Equal(4, worst.Keys.Count(k => !k.EndsWith(")")));
    }

    (Dictionary<string, (double D64, double D32, int Runs)> Worst, int Refused) Check(string set)
    {
        var host = new PipelineHost();
        using var temp = new TempFolder();
        using (var xT = NpyFile.Read(Path.Combine(Folder, "x_T.npy")))
        {
            using var x32 = xT.to_type(torch.ScalarType.Float32);
            NpyFile.Write(Path.Combine(temp.Path, "x32.npy"), x32);
            NpyFile.Write(Path.Combine(temp.Path, "x64.npy"), xT);
        }
        using var ref32 = NpyFile.Read(Path.Combine(Folder, set + "diffusers_f32.npy"));
        using var ref64 = NpyFile.Read(Path.Combine(Folder, set + "diffusers_f64.npy"));
        var failures = new List<string>();
        var worst = new Dictionary<string, (double D64, double D32, int Runs)>();
        int refused = 0, nanInDiffusers = 0;
        var cases = Cases(set);
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            string name = $"#{i} {c["scheduler"]} {c["steps"]} {c["config"]!.ToString(Newtonsoft.Json.Formatting.None)}";
            bool karras = (bool?)c["config"]!["use_karras_sigmas"] == true;
            // The Karras cases need diffusers' model-time convention (the model at the nearest training step).
            string conventions = karras && set == "" ? ", \"conventions\": \"diffusers\"" : "";
            double d64, d32, own;
            int nfe;
            try
            {
                using var p64 = host.Compose(Definition(c, "float64", "x64.npy", conventions), temp.Path);
                using var run64 = host.Sample(p64);
                using var p32 = host.Compose(Definition(c, "float32", "x32.npy", conventions), temp.Path);
                using var run32 = host.Sample(p32);
                using var r64 = ref64[i];
                using var r32 = ref32[i];
                nfe = run64.Nfe;
                if (!(bool)c["finite32"]!)
                {
                    nanInDiffusers++;
                    using var finite = run32.Samples.isfinite().all();
                    using var finite64 = run64.Samples.isfinite().all();
                    if (!finite.item<bool>() || !finite64.item<bool>()) failures.Add($"{name}: diffusers is NaN, the import is not finite either");
                    output.WriteLine($"{name}: diffusers NaN, import finite");
                    continue;
                }
                // The sigma-based schedulers' sample is x / alpha: ending at sigma_min > 0, ours (x) is scaled to it.
                double last = set == "" ? 0 : (double)c["sigmas"]!.Last();
                using var scale = Math.Sqrt(1 + last * last).ToScalar();
                using var ours64 = run64.Samples.mul(scale);
                using var ours32 = run32.Samples.mul(scale);
                d64 = MaxAbsDiff(ours64, r64);
                d32 = MaxAbsDiff(ours32, r32);
                own = MaxAbsDiff(r32, r64);
                if (own > Float32Tolerance)
                {
                    // diffusers' float32 run alone is further than the bound from its float64 run (DEIS order 3 at 20
                    // steps): our float32 run meets the bound against its float64 run.
                    double vs64 = MaxAbsDiff(ours32, r64);
                    if (!(vs64 <= Float32Tolerance && d32 <= own + Float32Tolerance)) failures.Add($"{name}: float32 {d32:E2} (diffusers' own {own:E2}), vs float64 {vs64:E2}");
                }
                else if (!(d32 <= Float32Tolerance)) failures.Add($"{name}: float32 max |diff| {d32:E2}");
                if (!(d64 <= Float64Tolerance)) failures.Add($"{name}: float64 max |diff| {d64:E2}");
            }
            catch (Pipeline.Options.PipelineInputException e)
            {
                refused++;
                output.WriteLine($"{name}: refused: {e.Message}");
                // Only the singlestep configs documented as different samplers may be refused.
                if (set != "" || (string)c["scheduler"]! != "DPMSolverSinglestepScheduler") failures.Add($"{name}: refused: {e.Message}");
                continue;
            }
            int diffusersNfe = ((JArray)c["timesteps"]!).Count;
            // With Karras into "sigma_min" diffusers spends one evaluation on its zero-length last step.
            bool repeated = set == "" && karras && (string?)c["config"]!["final_sigmas_type"] == "sigma_min";
            if (nfe != diffusersNfe - (repeated ? 1 : 0)) failures.Add($"{name}: NFE {nfe}, diffusers {diffusersNfe}");
            string key = (string)c["scheduler"]! + (karras ? " (Karras)" : "");
            var w = worst.GetValueOrDefault(key);
            worst[key] = (Math.Max(w.D64, d64), Math.Max(w.D32, d32), w.Runs + 1);
            output.WriteLine($"{name}: float64 {d64:E2}, float32 {d32:E2} (diffusers' own {own:E2}), NFE {nfe}");
        }
        foreach (var (k, w) in worst) output.WriteLine($"{k}: {w.Runs} runs, worst float64 {w.D64:E2}, float32 {w.D32:E2}");
        output.WriteLine($"refused {refused}, diffusers NaN {nanInDiffusers}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        return (worst, refused);
    }
}
