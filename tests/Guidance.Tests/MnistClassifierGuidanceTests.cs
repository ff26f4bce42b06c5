using Pipeline.Host;
using Pipeline.Metrics;
using Pipeline.Plugins.Models.Mnist.Metrics;
using Pipeline.Sampling;
using TorchSharp;

namespace Pipeline.Tests;

/// <summary>Classifier guidance with the shipped UNet (evaluated unconditionally) and the shipped noisy classifier.</summary>
public class MnistClassifierGuidanceTests
{
    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "models", "mnist-unet.ckpt"))) return dir.FullName;
        throw new InvalidOperationException("models/mnist-unet.ckpt not found above the test folder");
    }

    static double Accuracy(double scale)
    {
        var root = RepoRoot();
        var host = new PipelineHost();
        using var pipeline = host.Compose($$"""
            {
              "model": { "type": "mnist-unet" },
              "noiseSchedule": { "type": "discrete", "betaSchedule": "linear" },
              "timeSteps": { "type": "time-uniform", "steps": 10 },
              "solver": { "type": "ddim" },
              "guidance": [ { "type": "classifier", "classifier": "mnist-noisy-classifier", "scale": {{scale}} } ],
              "sampling": { "count": 30, "seed": 11, "labelsInRows": true, "device": "cpu" }
            }
            """, root);
        using var result = host.Sample(pipeline);
        using var fid = new MnistFid(new MnistFidOptions(), new RunEnvironment(torch.CPU, torch.float32, root));
        using var labels = torch.tensor(pipeline.Labels!);
        return fid.Accuracy(result.Samples, labels)!.Value;
    }

    [Fact]
    public void TheNoisyClassifierSteersTheUnconditionalUnetTowardsTheRequestedDigits()
    {
        // Unguided, the model draws digits unrelated to the requested labels: about one in ten matches.
        double unguided = Accuracy(0.0);
        double guided = Accuracy(4.0);
        Assert.True(unguided < 0.4, $"unguided accuracy {unguided:P0}");
        Assert.True(guided >= 0.7 && guided > unguided + 0.4, $"guided accuracy {guided:P0} vs unguided {unguided:P0}");
    }
}
