using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Composition;
using Pipeline.Host.Training;
using Pipeline.Models;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// The parts of consistency training without a teacher against their formulas: the curricula N(k) and mu(k) of Song et
/// al. 2023 (Appendix C) and of Song and Dhariwal 2023 (section 3.4), the lognormal index distribution and its weights
/// (sections 3.5 and 3.1), the pseudo-Huber distance (section 3.3), and the training pair's single noise z (Algorithm 3).
/// Expected numbers were computed by hand (Python's math.erf for the lognormal).
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class ConsistencyCurriculumTests
{
    static readonly PipelineHost Host = new();

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 3)]
    [InlineData(400_000, 107)]
    [InlineData(799_999, 151)]
    [InlineData(800_000, 151)]
    public void ConsistencyTrainingsNGrowsAsTheSquareRootOfTheAppendix(int k, int expected) =>
        // ceil(sqrt(k / K ((s1 + 1)^2 - s0^2) + s0^2) - 1) + 1 with CIFAR-10's K = 800k, s0 = 2, s1 = 150.
        Assert.Equal(expected, ConsistencyCurriculum.Training(k, 800_000, 2, 150));

    [Fact]
    public void TheTargetDecayFollowsN()
    {
        Assert.Equal(0.9, ConsistencyCurriculum.TargetDecay(2, 2, 0.9), 15);
        Assert.Equal(0.9980325824752019, ConsistencyCurriculum.TargetDecay(107, 2, 0.9), 15);
    }

    [Theory]
    [InlineData(0, 11)]
    [InlineData(49_999, 11)]
    [InlineData(50_000, 21)]
    [InlineData(100_000, 41)]
    [InlineData(349_999, 641)]
    [InlineData(350_000, 1281)]
    [InlineData(399_999, 1281)]
    public void TheImprovedNDoublesEveryKPrimeSteps(int k, int expected)
    {
        // K' = floor(400000 / (log2 floor(1280 / 10) + 1)) = 50000; N = min(10 2^floor(k / K'), 1280) + 1.
        Assert.Equal(50_000, ConsistencyCurriculum.DoublingPeriod(400_000, 10, 1280));
        Assert.Equal(expected, ConsistencyCurriculum.Improved(k, 400_000, 10, 1280));
    }

    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.9, 0.9999589021219005)]
    [InlineData(3.1, 0.9999883513426328)]
    [InlineData(-4.0, -0.9999999845827421)]
    public void ErfMatchesItsTable(double x, double expected) =>
        Assert.Equal(expected, LognormalNoiseIndex.Erf(x), 13);

    static readonly double[] Levels = [0.01, 0.1, 1, 10, 100];

    [Fact]
    public void TheLognormalIndexHasTheErfDifferencesAsProbabilities()
    {
        var p = LognormalNoiseIndex.Probabilities(Levels, -1.1, 2.0);
        double[] expected = [0.24424545299566522, 0.4540918114264103, 0.2575333106931703, 0.04412942488475427];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], p[i], 12);
    }

    [Fact]
    public void TheLognormalIndexIsTheMassOfLnSigmaBetweenTheLevels()
    {
        // Independent of erf: ln sigma ~ N(-1.1, 2^2) by Box-Muller, kept where it falls inside the grid, binned.
        var random = new Random(11);
        var counts = new double[Levels.Length - 1];
        int inside = 0;
        for (int i = 0; i < 400_000; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            double sigma = Math.Exp(-1.1 + 2.0 * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
            int bin = Array.FindLastIndex(Levels, l => l <= sigma);
            if (bin < 0 || bin >= counts.Length) continue;
            counts[bin]++;
            inside++;
        }
        var p = LognormalNoiseIndex.Probabilities(Levels, -1.1, 2.0);
        for (int i = 0; i < p.Length; i++) Assert.True(Math.Abs(counts[i] / inside - p[i]) < 0.004, $"bin {i}: {counts[i] / inside} vs {p[i]}");
    }

    [Fact]
    public void DrawnIndicesFollowTheLognormalByChiSquare()
    {
        var p = LognormalNoiseIndex.Probabilities(Levels, -1.1, 2.0);
        random.manual_seed(7);
        const int draws = 20_000;
        using var n = LognormalNoiseIndex.Sample(p, draws, CPU);
        var counts = new double[p.Length];
        foreach (long i in n.data<long>()) counts[i]++;
        double chi = Enumerable.Range(0, p.Length).Sum(i => Math.Pow(counts[i] - draws * p[i], 2) / (draws * p[i]));
        // 3 degrees of freedom: P(chi^2 > 16.27) = 0.001.
        Assert.True(chi < 16.27, $"chi-square {chi}, counts {string.Join(", ", counts)}");
        // And a uniform index would be far off: the same statistic against 1/4 each.
        double uniform = counts.Sum(c => Math.Pow(c - draws / 4.0, 2) / (draws / 4.0));
        Assert.True(uniform > 1000, $"uniform chi-square {uniform}");
    }

    [Fact]
    public void TheWeightIsTheInverseGapOfTheLevels()
    {
        var w = LognormalNoiseIndex.Weights(Levels);
        double[] expected = [1 / 0.09, 1 / 0.9, 1 / 9.0, 1 / 90.0];
        Assert.Equal(expected.Length, w.Length);
        for (int i = 0; i < w.Length; i++) Assert.Equal(expected[i], w[i], 1e-10 * expected[i]);
    }

    [Fact]
    public void PseudoHuberAndL2MatchHandComputedNumbers()
    {
        using var a = tensor(new float[] { 0.1f, -0.2f, 0f, 0.3f }).view(1, 1, 2, 2);
        using var b = zeros(1, 1, 2, 2);
        // d = 4: c = 0.00054 x 2 = 0.00108; sqrt(0.14 + c^2) - c = 0.3730872973417105.
        using var huber = ConsistencyGrid.Distance(ConsistencyDistance.PseudoHuber, a, b);
        Assert.Equal(0.3730872973417105, huber.item<float>(), 6);
        using var l2 = ConsistencyGrid.Distance(ConsistencyDistance.L2, a, b);
        Assert.Equal(0.035, l2.item<float>(), 6);
    }

    static INoiseSchedule Schedule()
    {
        var spec = JObject.Parse("""{ "type": "discrete", "betaSchedule": "linear" }""");
        return new PipelineComposer(Host.Catalog).BuildPlugin<INoiseSchedule>(spec, PluginKinds.NoiseSchedule, new RunEnvironment(CPU, ScalarType.Float32, Path.GetTempPath())).Item1;
    }

    /// <summary>A stand-in network predicting eps = 0, so f(x, t_n) = A_n x.</summary>
    sealed class Zero() : nn.Module<Tensor, Tensor, Tensor, Tensor>("zero")
    {
        public override Tensor forward(Tensor x, Tensor t, Tensor y) => zeros_like(x);
    }

    [Fact]
    public void BothPointsOfThePairLieOnTheSameNoise()
    {
        var schedule = Schedule();
        using var grid = new ConsistencyGrid(schedule, 5, CPU);
        random.manual_seed(3);
        using var x = rand(2, 1, 4, 4);
        using var z = randn(2, 1, 4, 4);
        using var n = tensor(new long[] { 0, 3 });
        var (upper, lower) = ConsistencyTrainingTrainer.Pair(grid, x, n, z);
        using var _u = upper;
        using var _l = lower;
        for (int i = 0; i < 2; i++)
        {
            long m = n[i].item<long>();
            double au = schedule.Alpha(grid.Times[m + 1]), su = schedule.Sigma(grid.Times[m + 1]);
            double al = schedule.Alpha(grid.Times[m]), sl = schedule.Sigma(grid.Times[m]);
            var xs = x[i].data<float>().ToArray();
            var zs = z[i].data<float>().ToArray();
            var us = upper[i].data<float>().ToArray();
            var ls = lower[i].data<float>().ToArray();
            for (int j = 0; j < xs.Length; j++)
            {
                Assert.Equal(au * xs[j] + su * zs[j], us[j], 4);
                Assert.Equal(al * xs[j] + sl * zs[j], ls[j], 4);
            }
        }
    }

    [Fact]
    public void TheLossComparesFAtTheTwoLevelsOfOneNoiseWithItsWeight()
    {
        // With eps = 0 and x = 0 the pair is (s_(n+1) alpha z, s_n alpha z) and f = A x, so the squared L2 is
        // (A_(n+1) sigma_(n+1) - A_n sigma_n)^2 mean(z^2): a second noise draw for the lower point would change it.
        var schedule = Schedule();
        using var grid = new ConsistencyGrid(schedule, 6, CPU);
        using var net = new Zero();
        random.manual_seed(4);
        using var x = zeros(3, 1, 4, 4);
        using var z = randn(3, 1, 4, 4);
        using var labels = zeros(3, int64);
        using var n = tensor(new long[] { 0, 2, 4 });
        using var weights = tensor(new float[] { 1, 2, 3, 4, 5 });
        using var loss = ConsistencyTrainingTrainer.Loss(grid, ConsistencyDistance.L2, net, net, x, labels, n, z, weights);
        double A(int k) => ConsistencyParametrization.Combination(schedule.Alpha(grid.Times[k]), schedule.Sigma(grid.Times[k]), grid.SigmaMin).OfInput;
        for (int i = 0; i < 3; i++)
        {
            int m = (int)n[i].item<long>();
            double meanSquare = z[i].data<float>().Select(v => (double)v * v).Average();
            double gap = A(m + 1) * schedule.Sigma(grid.Times[m + 1]) - A(m) * schedule.Sigma(grid.Times[m]);
            double expected = (m + 1) * gap * gap * meanSquare;
            Assert.Equal(expected, loss[i].item<float>(), Math.Max(1e-4, expected * 1e-4));
        }
    }
}
