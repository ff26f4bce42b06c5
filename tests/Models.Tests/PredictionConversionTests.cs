using Pipeline.Models;
using Pipeline.Plugins.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Builds each raw prediction type from the mixture's exact eps and x_0 = E[x_0 | x_t] and checks that
/// <see cref="PredictionConversion.ToOutput"/> recovers both.
/// </summary>
public class PredictionConversionTests
{
    public static TheoryData<PredictionType, double, double> Cases()
    {
        var data = new TheoryData<PredictionType, double, double>();
        // VP (alpha^2 + sigma^2 = 1), a non-VP pair (EDM-like scaling), VE, and near both ends.
        (double, double)[] generic = [(0.8, 0.6), (0.999, Math.Sqrt(1 - 0.999 * 0.999)), (0.05, Math.Sqrt(1 - 0.0025)), (0.7, 1.9), (1.0, 5.0)];
        foreach (var type in new[] { PredictionType.Epsilon, PredictionType.Data, PredictionType.V, PredictionType.Score })
            foreach (var (a, s) in generic) data.Add(type, a, s);
        // Rectified flow needs alpha + sigma = 1.
        foreach (var t in new[] { 0.02, 0.3, 0.5, 0.9 }) data.Add(PredictionType.Flow, 1 - t, t);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RawPredictionsConvertBackToExactEpsilonAndData(PredictionType type, double alpha, double sigma)
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([16, 3], float64, generator: new Generator(9)).mul_(2);
        using var eps = gmm.Epsilon(x, alpha, sigma);
        using var x0 = (x - eps * sigma) / alpha;
        using var raw = type switch
        {
            PredictionType.Epsilon => eps.clone(),
            PredictionType.Data => x0.clone(),
            PredictionType.V => eps * alpha - x0 * sigma,
            // The score straight from the mixture, not from eps, so the test also ties the two together.
            PredictionType.Score => gmm.Score(x, alpha, sigma),
            PredictionType.Flow => eps - x0,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        var output = PredictionConversion.ToOutput(type, x, raw, alpha, sigma);
        double scale = Math.Max(1, eps.abs().max().item<double>());
        Assert.True(output.Epsilon.allclose(eps, rtol: 1e-11, atol: 1e-11 * scale), $"{type} eps");
        Assert.True(output.Data.allclose(x0, rtol: 1e-11, atol: 1e-11 * Math.Max(1, sigma / alpha) * scale), $"{type} x0");
    }

    [Fact]
    public void DataAndEpsilonHelpersInvertEachOther()
    {
        using var gmm = GaussianMixtureTests.Create();
        using var x = randn([8, 3], float64, generator: new Generator(10));
        const double a = 0.6, s = 0.8;
        using var eps = gmm.Epsilon(x, a, s);
        using var x0 = PredictionConversion.DataFromEpsilon(x, eps, a, s);
        using var back = PredictionConversion.EpsilonFromData(x, x0, a, s);
        Assert.True(back.allclose(eps, rtol: 1e-12, atol: 1e-12));
        // x = alpha x0 + sigma eps.
        using var rebuilt = x0 * a + eps * s;
        Assert.True(rebuilt.allclose(x, rtol: 1e-12, atol: 1e-12));
    }
}
