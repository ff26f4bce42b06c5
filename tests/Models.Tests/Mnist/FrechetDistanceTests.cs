using Pipeline.Plugins.Models.Mnist.Metrics;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

public class FrechetDistanceTests
{
    static Tensor RandomSpd(int d, int seed)
    {
        using var a = randn([d, d], float64, generator: new Generator((ulong)seed));
        return a.matmul(a.t()).add_(eye(d, dtype: float64).mul_(0.1));
    }

    [Fact]
    public void TheDistanceOfASetToItselfIsZero()
    {
        using var features = randn([400, 12], float64, generator: new Generator(1)).exp_();
        var (mean, covariance) = FrechetDistance.Statistics(features);
        using var _m = mean;
        using var _c = covariance;
        double d = FrechetDistance.Between(mean, covariance, mean, covariance);
        Assert.InRange(d, -1e-9, 1e-9);
    }

    [Fact]
    public void TwoByTwoMatchesTheClosedForm()
    {
        // For 2x2 S1 S2 with eigenvalues l1, l2 > 0: Tr (S1 S2)^(1/2) = sqrt(l1) + sqrt(l2) = sqrt(Tr(S1 S2) + 2 sqrt(det S1 det S2)).
        for (int seed = 0; seed < 5; seed++)
        {
            using var s1 = RandomSpd(2, 10 + seed);
            using var s2 = RandomSpd(2, 20 + seed);
            using var m1 = tensor(new[] { 0.3, -1.2 });
            using var m2 = tensor(new[] { -0.5, 0.4 });
            double det1 = s1.det().item<double>(), det2 = s2.det().item<double>();
            double traceRoot = Math.Sqrt(s1.matmul(s2).trace().item<double>() + 2 * Math.Sqrt(det1 * det2));
            double expected = m1.sub(m2).Squared().sum().item<double>() + s1.trace().item<double>() + s2.trace().item<double>() - 2 * traceRoot;
            double actual = FrechetDistance.Between(m1, s1, m2, s2);
            Assert.Equal(expected, actual, 10);
        }
    }

    [Fact]
    public void DiagonalCovariancesGiveTheSumOfSquaredStandardDeviationDifferences()
    {
        double[] v1 = [1, 4, 9, 0.25], v2 = [4, 1, 9, 1];
        using var s1 = diag(tensor(v1));
        using var s2 = diag(tensor(v2));
        using var zero = zeros(4, float64);
        double expected = v1.Zip(v2, (a, b) => Math.Pow(Math.Sqrt(a) - Math.Sqrt(b), 2)).Sum();
        Assert.Equal(expected, FrechetDistance.Between(zero, s1, zero, s2), 12);
    }

    [Fact]
    public void ItIsSymmetricAndGrowsWithTheMeanShift()
    {
        using var s1 = RandomSpd(6, 1);
        using var s2 = RandomSpd(6, 2);
        using var m1 = zeros(6, float64);
        using var m2 = full(6, 0.5, float64);
        double ab = FrechetDistance.Between(m1, s1, m2, s2), ba = FrechetDistance.Between(m2, s2, m1, s1);
        Assert.Equal(ab, ba, 8);
        double sameMean = FrechetDistance.Between(m1, s1, m1, s2);
        Assert.Equal(6 * 0.25, ab - sameMean, 8);
    }

    [Fact]
    public void TheSquareRootSquaresBack()
    {
        using var s = RandomSpd(8, 3);
        using var root = FrechetDistance.SymmetricSqrt(s);
        Assert.True(root.matmul(root).sub(s).abs().max().item<double>() < 1e-10);
    }
}
