using Pipeline.Host;
using Pipeline.Host.Training;
using Pipeline.Options;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Composition;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// DDGAN training (<see cref="AdversarialTrainer"/>) on a 2-D two-mode mixture with MLP networks: the GAN learns the
/// modes, a resumed run ends with the same weights as an uninterrupted one, damaged state is refused; and the chain's
/// posterior is DDPM's. Training seeds torch's global generator, so these run alone.
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class DdganTrainingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly PipelineHost Host = new();
    const int Steps = 2;

    static string Config(int steps, int checkpointEvery = 1000) => $$"""
        {
          "network": "mlp-ddgan", "noiseSchedule": { "type": "discrete", "betaSchedule": "vp-continuous", "trainingSteps": {{Steps}} },
          "steps": {{steps}}, "batchSize": 256, "learningRate": 0.001, "r1Gamma": 0.05, "r1Every": 4, "emaDecay": 0.99,
          "labelDropout": 0, "gradientClip": 0, "device": "cpu", "seed": 11, "logEvery": 50, "checkpointEvery": {{checkpointEvery}}
        }
        """;

    static TrainingResult Train(string json, string output, CancellationToken cancel = default) =>
        AdversarialTrainer.Run(Host, TrainingDefinition.Parse(json, Path.GetTempPath(), "two-modes"), TwoDimensionalGan.Network(Steps),
            TwoDimensionalGan.Mixture(4096, 3), new TrainingRunOptions(output), null, null, cancel);

    static DdganChain Chain()
    {
        var spec = JObject.Parse($$"""{ "type": "discrete", "betaSchedule": "vp-continuous", "trainingSteps": {{Steps}} }""");
        var environment = new RunEnvironment(CPU, ScalarType.Float32, Path.GetTempPath());
        var (schedule, _) = new PipelineComposer(Host.Catalog).BuildPlugin<INoiseSchedule>(spec, PluginKinds.NoiseSchedule, environment);
        return new DdganChain(schedule, CPU);
    }

    /// <summary>DDGAN's discretised VP (Xiao et al. 2022, Appendix C), written out independently of the plugin.</summary>
    static double[] VpBetas(int n)
    {
        double LogAbar(int k) { double tau = 1e-3 + (1 - 1e-3) * k / n; return -0.5 * tau * tau * 19.9 - 0.1 * tau; }
        return Enumerable.Range(1, n).Select(k => 1 - Math.Exp(LogAbar(k) - LogAbar(k - 1))).ToArray();
    }

    /// <summary>Distance of samples from the mixture: |mean|, the spread along the modes' axis and across, and the share of each mode.</summary>
    static (double Error, double LeftShare, double RightShare) Fit(Tensor x)
    {
        var p = x.data<float>().ToArray();
        int n = p.Length / 2;
        var xs = Enumerable.Range(0, n).Select(i => (double)p[2 * i]).ToArray();
        var ys = Enumerable.Range(0, n).Select(i => (double)p[2 * i + 1]).ToArray();
        double mx = xs.Average(), my = ys.Average();
        double sx = Math.Sqrt(xs.Select(v => (v - mx) * (v - mx)).Average()), sy = Math.Sqrt(ys.Select(v => (v - my) * (v - my)).Average());
        // Target: mean 0, std sqrt(0.8^2 + 0.1^2) along x, 0.1 across.
        double error = Math.Abs(mx) + Math.Abs(my) + Math.Abs(sx - Math.Sqrt(0.65)) + Math.Abs(sy - 0.1);
        double Share(double centre) => Enumerable.Range(0, n).Count(i => Math.Abs(xs[i] - centre) < 0.3 && Math.Abs(ys[i]) < 0.3) / (double)n;
        return (error, Share(-0.8), Share(0.8));
    }

    [Fact]
    public void TheGeneratorLearnsBothModesAndTheLossesStayAGames()
    {
        using var temp = new TempFolder();
        using var untrained = new TempFolder();
        Train(Config(1), untrained.Path);
        var result = Train(Config(1500), temp.Path);
        Assert.Equal("completed", result.Stopped);

        using var chain = Chain();
        using var before = TwoDimensionalGan.Sample(Path.Combine(untrained.Path, "mlp-ddgan.ckpt"), chain, 2000, 5);
        using var after = TwoDimensionalGan.Sample(Path.Combine(temp.Path, "mlp-ddgan.ckpt"), chain, 2000, 5);
        var (errorBefore, _, _) = Fit(before);
        var (error, left, right) = Fit(after);
        var summary = $"moment error {error:0.000} after training, {errorBefore:0.000} before; mode shares {left:0.00} and {right:0.00}";
        output.WriteLine(summary);
        Assert.True(error < 0.3 * errorBefore && error < 0.25, summary);
        Assert.True(left > 0.3 && right > 0.3 && left + right > 0.8, summary);

        // A game, not a collapse: the discriminator loss stays near its equilibrium 2 log 2 rather than going to 0, and
        // the generator's non-saturating loss stays finite and bounded.
        var rows = File.ReadAllLines(Path.Combine(temp.Path, "log.csv")).Skip(1).Select(l => l.Split(',').Select(double.Parse).ToArray()).ToList();
        Assert.Equal(30, rows.Count);
        Assert.All(rows, r => Assert.True(r[4] > 0.5 && r[4] < 2.5 && r[1] > 0.2 && r[1] < 3, $"step {r[0]}: generator {r[1]}, discriminator {r[4]}"));
    }

    [Fact]
    public void AResumedRunEndsWithTheSameWeights()
    {
        using var whole = new TempFolder();
        using var parts = new TempFolder();
        Train(Config(40), whole.Path);
        var interrupted = Train(Config(20), parts.Path);
        Assert.Equal(20, interrupted.Step);
        var resumed = Train(Config(40), parts.Path);
        Assert.Equal(20, resumed.ResumedFrom);
        Assert.True(resumed.Completed);
        var a = File.ReadAllBytes(Path.Combine(whole.Path, "mlp-ddgan.ckpt"));
        var b = File.ReadAllBytes(Path.Combine(parts.Path, "mlp-ddgan.ckpt"));
        Assert.Equal(a, b);
    }

    [Fact]
    public void ADamagedStateIsRefusedWithTheWayOut()
    {
        using var temp = new TempFolder();
        Train(Config(10, checkpointEvery: 5), temp.Path);
        var state = Path.Combine(temp.Path, TrainingState.FileName);
        var bytes = File.ReadAllBytes(state);
        File.WriteAllBytes(state, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<PipelineInputException>(() => Train(Config(20), temp.Path));
        Assert.Contains("cannot be resumed", e.Message);
        Assert.Contains("--overwrite", e.Message);
    }

    [Fact]
    public void TheChainsPosteriorIsDdpmsPosterior()
    {
        using var chain = Chain();
        var betas = VpBetas(Steps);
        double[] abar = [1, 1 - betas[0], (1 - betas[0]) * (1 - betas[1])];
        for (int k = 1; k <= Steps; k++) Assert.Equal(abar[k], chain.AlphasCumprod[k - 1], 1e-12);
        using var x0 = tensor(new float[] { 0.3f, -0.7f, 0.3f, -0.7f }).reshape(2, 2);
        using var next = tensor(new float[] { 1.1f, 0.4f, 1.1f, 0.4f }).reshape(2, 2);
        using var noise = tensor(new float[] { 0.5f, -1.5f, 0.5f, -1.5f }).reshape(2, 2);
        using var steps = tensor(new long[] { 0, 1 });
        using var got = chain.Posterior(x0, next, steps, noise);
        var v = got.data<float>().ToArray();
        for (int row = 0; row < 2; row++)
        {
            int j = row;   // step j: from position j + 1 to j, beta = beta_(j+1)
            double beta = betas[j];
            double a = Math.Sqrt(abar[j]) * beta / (1 - abar[j + 1]), b = Math.Sqrt(1 - beta) * (1 - abar[j]) / (1 - abar[j + 1]);
            double std = Math.Sqrt(beta * (1 - abar[j]) / (1 - abar[j + 1]));
            double[] x0v = [0.3, -0.7], nv = [1.1, 0.4], ev = [0.5, -1.5];
            for (int d = 0; d < 2; d++)
                Assert.Equal(a * x0v[d] + b * nv[d] + std * ev[d], v[2 * row + d], 1e-6);
        }
        // Into clean data (j = 0) the posterior is x_0 itself.
        Assert.Equal(0.3, v[0], 1e-6);
    }
}
