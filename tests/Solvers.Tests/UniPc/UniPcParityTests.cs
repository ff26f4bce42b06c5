using Pipeline.IO;
using Pipeline.Plugins.Solvers;
using Pipeline.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.UniPc;

/// <summary>
/// Parity with the authors' uni_pc.py (wl-zhao/UniPC), run by tests/Fixtures/Parity/unipc/make_unipc.py on the exact
/// mixture eps in float64: discrete linear betas (N = 1000), skip types logSNR / time_uniform / time_quadratic from
/// t = 1 to 1/N, 10 and 20 steps, data and noise prediction, bh1 and bh2, orders 1-3, corrector on (not on the last
/// step), lower_order_final on and off. The reference's own time grid and x_T are replayed here.
/// </summary>
public class UniPcParityTests(ITestOutputHelper output)
{
    /// <summary>Measured: at most 4.8e-13 over all 144 runs (float64 in both; what is left is rounding).</summary>
    const double Tolerance = 1e-10;

    static readonly string[] Skips = ["logSNR", "time_uniform", "time_quadratic"];

    public static TheoryData<string, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var skip in Skips)
                foreach (int steps in new[] { 10, 20 })
                    data.Add(skip, steps);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheAuthorsCode(string skip, int steps)
    {
        var mixture = new Pipeline.Tests.TestSupport.GaussianMixture(
            Fixture.Doubles("gmm_weights.npy"), Fixture.Rows("gmm_means.npy"), Fixture.Doubles("gmm_stds.npy"));
        var schedule = MultistepOracle.DiscreteLinear();
        var times = Fixture.Doubles($"times_{skip}_{steps}.npy");
        Assert.Equal(steps + 1, times.Length);
        using var xT = NpyFile.Read(Fixture.Path("x_T.npy"));
        using var expected = NpyFile.Read(Fixture.Path($"unipc_{skip}_{steps}.npy"));   // [lof, prediction, variant, order, B, D]

        double worst = 0;
        var lines = new List<string>();
        bool[] lowerOrderFinal = [true, false];
        UniPcPrediction[] predictions = [UniPcPrediction.Data, UniPcPrediction.Noise];
        UniPcVariant[] variants = [UniPcVariant.Bh1, UniPcVariant.Bh2];
        for (int a = 0; a < 2; a++)
            for (int p = 0; p < 2; p++)
                for (int v = 0; v < 2; v++)
                    for (int order = 1; order <= 3; order++)
                    {
                        var solver = new Pipeline.Plugins.Solvers.UniPc(new UniPcOptions
                        {
                            Order = order, Prediction = predictions[p], Variant = variants[v], Corrector = true,
                            LowerOrderFinal = lowerOrderFinal[a],
                        });
                        var (x, model) = Harness.Run(solver, mixture, schedule, xT, times);
                        using (x)
                        using (var reference = expected[a, p, v, order - 1])
                        using (var diff = (x - reference).abs().max())
                        {
                            Assert.Equal(steps, model.Evaluations);
                            double d = diff.item<double>();
                            worst = Math.Max(worst, d);
                            lines.Add($"lof={lowerOrderFinal[a]} {predictions[p]} {variants[v]} order {order}: max |diff| {d:E2}");
                        }
                    }
        foreach (var line in lines) output.WriteLine(line);
        output.WriteLine($"{skip}, {steps} steps: worst max |diff| {worst:E2}");
        Assert.True(worst <= Tolerance, $"{skip}, {steps} steps: max |diff| {worst:E2} against the authors' code\n{string.Join("\n", lines)}");
    }

    /// <summary>The fixture files of tests/Fixtures/Parity/unipc, found from the test's output folder upwards.</summary>
    internal static class Fixture
    {
        static readonly Lazy<string> Folder = new(() => ParityFixtures.Folder("unipc"));

        public static string Path(string name) => System.IO.Path.Combine(Folder.Value, name);

        public static double[] Doubles(string name) => NpyFile.ReadDoubles(Path(name));

        public static double[][] Rows(string name)
        {
            using var t = NpyFile.Read(Path(name));
            using var d = t.to_type(float64);
            var flat = d.data<double>().ToArray();
            int columns = (int)t.shape[1];
            return Enumerable.Range(0, (int)t.shape[0]).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
        }
    }
}
