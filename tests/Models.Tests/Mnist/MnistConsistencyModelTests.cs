using System.Text.Json.Nodes;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

/// <summary>The consistency parametrization (Song et al. 2023, Appendix C) and the mnist-consistency model over a scrambled tiny UNet.</summary>
public class MnistConsistencyModelTests
{
    // s = sigma / alpha at the first step of the 1000-step linear-beta schedule: alpha_bar = 1 - 1e-4.
    static readonly double AlphaMin = Math.Sqrt(1 - 1e-4), SigmaMinVp = Math.Sqrt(1e-4);
    static readonly double SigmaMin = SigmaMinVp / AlphaMin;

    static (string Examples, MnistUnet Network) Layout(TempFolder temp, bool record = true)
    {
        var unet = new MnistUnet(NetworkTests.TinyUnet);
        NetworkTests.Scramble(unet, 4);
        unet.eval();
        var training = record ? new JsonObject { ["consistency"] = new JsonObject { ["sigmaMin"] = SigmaMin, ["sigmaData"] = 0.5 } } : null;
        MnistCheckpoint.Save(unet, Path.Combine(temp.Path, "models", "mnist-consistency.ckpt"), training: training);
        var examples = Path.Combine(temp.Path, "examples");
        Directory.CreateDirectory(examples);
        return (examples, unet);
    }

    [Fact]
    public void TheCoefficientsMeetTheBoundaryConditionAndWithoutAMinimumAreTheTeachersDataPrediction()
    {
        var (skip, output) = ConsistencyParametrization.Coefficients(0.3, 0.3);
        Assert.Equal(1.0, skip);
        Assert.Equal(0.0, output);
        var (ofInput, ofEpsilon) = ConsistencyParametrization.Combination(0.8, 0.6, 0.6 / 0.8);
        Assert.Equal(1 / 0.8, ofInput);
        Assert.Equal(0.0, ofEpsilon);
        // s_min = 0: f = x / alpha - (sigma / alpha) eps, the teacher's x_0.
        (ofInput, ofEpsilon) = ConsistencyParametrization.Combination(0.8, 0.6, 0);
        Assert.Equal(1 / 0.8, ofInput, 1e-15);
        Assert.Equal(-0.75, ofEpsilon, 1e-15);
    }

    [Fact]
    public void AtTheFirstTimeTheModelReturnsItsInputExactly()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp);
        using var _ = network;
        using var model = new MnistConsistencyModel(new MnistConsistencyModelOptions(), new RunEnvironment(CPU, float32, examples));
        Assert.Equal(PredictionType.Data, model.Prediction);
        Assert.Equal(SigmaMin, model.SigmaMin);
        using var x = randn([3, 1, 28, 28], generator: new Generator(5));
        using var labels = tensor(new long[] { 1, -1, 7 });
        using var f = model.Forward(x, new ModelTime(0.001, AlphaMin, SigmaMinVp, 0), labels);
        // f(x, t_min) = x~ = x / alpha: the boundary condition in the schedule's EDM variable, bit for bit.
        using Scalar inverse = 1 / AlphaMin;
        using var expected = x.mul(inverse);
        Assert.True(f.eq(expected).all().item<bool>());
    }

    [Fact]
    public void AboveItTheModelIsCSkipTimesTheInputPlusCOutTimesTheEdmOutput()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp);
        using var _ = network;
        network.to(float64);
        using var model = new MnistConsistencyModel(new MnistConsistencyModelOptions(), new RunEnvironment(CPU, float64, examples));
        using var x = randn([2, 1, 28, 28], float64, generator: new Generator(6));
        using var labels = tensor(new long[] { 3, -1 });
        double alpha = 0.6, sigma = 0.8, s = sigma / alpha, sd = 0.5;
        using var f = model.Forward(x, new ModelTime(0.5, alpha, sigma, 499), labels);

        // Appendix C by hand: c_skip, c_out with s_min; F is EDM's raw output for the eps network, D = x~ - s eps = c_skip^EDM x~ + c_out^EDM F.
        double cSkip = sd * sd / ((s - SigmaMin) * (s - SigmaMin) + sd * sd), cOut = sd * (s - SigmaMin) / Math.Sqrt(sd * sd + s * s);
        double edmSkip = sd * sd / (s * s + sd * sd), edmOut = s * sd / Math.Sqrt(s * s + sd * sd);
        using var eps = network.forward(x, full(2, 499.0, float64), labels);
        var xs = x.data<double>().ToArray();
        var es = eps.data<double>().ToArray();
        var fs = f.data<double>().ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double scaled = xs[i] / alpha, raw = ((1 - edmSkip) * scaled - s * es[i]) / edmOut;
            Assert.Equal(cSkip * scaled + cOut * raw, fs[i], 1e-10);
        }
    }

    [Fact]
    public void AUnetCheckpointWithoutAConsistencyRecordIsAnInputError()
    {
        using var temp = new TempFolder();
        var (examples, network) = Layout(temp, record: false);
        using var _ = network;
        var e = Assert.Throws<PipelineInputException>(() => new MnistConsistencyModel(new MnistConsistencyModelOptions(), new RunEnvironment(CPU, float32, examples)));
        Assert.Equal("$.model.checkpoint", e.Path);
        Assert.Contains("not a consistency model", e.Message);
    }
}
