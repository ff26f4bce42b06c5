using Pipeline.Host;
using Pipeline.Host.Training;
using Pipeline.Options;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// The MNIST DDGAN end to end on a tiny configuration: trained by the train command, Ctrl-C saves and a second run
/// continues, then sampled through the pipeline by the ddgan solver (with classifier-free guidance, independent of the
/// batch size), and every other model, schedule and grid refused at $.solver.
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class DdganPipelineTests(TrainTests.Digits digits) : IClassFixture<TrainTests.Digits>
{
    static readonly PipelineHost Host = new();

    const string Chain = "{ \"type\": \"discrete\", \"betaSchedule\": \"vp-continuous\", \"trainingSteps\": 4 }";

    string Config(int steps) => $$"""
        {
          "network": "mnist-ddgan", "data": "{{digits.Path.Replace("\\", "/")}}", "subset": 64, "device": "cpu", "seed": 2,
          "architecture": { "channels": 8, "channelMultipliers": [1], "groups": 4, "latentSize": 4, "discriminatorChannels": 8, "trainingSteps": 4 },
          "noiseSchedule": {{Chain}},
          "steps": {{steps}}, "batchSize": 8, "learningRate": 0.0005, "emaDecay": 0.9, "logEvery": 1, "checkpointEvery": 2
        }
        """;

    static string Definition(string checkpoint, string schedule = Chain, string timeSteps = "{ \"type\": \"time-uniform\", \"steps\": 4, \"tEnd\": 0 }",
        string solver = "ddgan", int batch = 6) => $$"""
        {
          "model": { "type": "mnist-ddgan", "checkpoint": "{{checkpoint}}" },
          "noiseSchedule": {{schedule}},
          "timeSteps": {{timeSteps}},
          "solver": { "type": "{{solver}}" },
          "guidance": [ { "type": "cfg", "scale": 2 } ],
          "sampling": { "count": 6, "batchSize": {{batch}}, "seed": 4, "labelsInRows": true, "device": "cpu" }
        }
        """;

    [Fact]
    public void TrainedByTheTrainCommandSampledByTheDdganSolver()
    {
        using var temp = new TempFolder();
        var definition = TrainingDefinition.Parse(Config(4), temp.Path, "tiny-ddgan");
        using (var cancel = new CancellationTokenSource())
        {
            var first = Trainer.Run(Host, definition, new TrainingRunOptions(temp.Path), p => { if (p.Step == 2) cancel.Cancel(); }, null, cancel.Token);
            Assert.Equal("cancelled", first.Stopped);
            Assert.Equal(2, first.Step);
        }
        var second = Trainer.Run(Host, definition, new TrainingRunOptions(temp.Path));
        Assert.Equal(2, second.ResumedFrom);
        Assert.True(second.Completed);
        var header = File.ReadAllLines(Path.Combine(temp.Path, "log.csv"))[0];
        Assert.Equal("step,loss,learningRate,seconds,discriminatorLoss,r1Penalty,realLogit,fakeLogit", header);

        var checkpoint = Path.Combine(temp.Path, "mnist-ddgan.ckpt").Replace("\\", "/");
        using var whole = Host.Compose(Definition(checkpoint), temp.Path);
        Assert.Equal(4, whole.ExpectedEvaluations);
        using var one = Host.Sample(whole);
        using var split = Host.Compose(Definition(checkpoint, batch: 4), temp.Path);
        using var other = Host.Sample(split);
        Assert.Equal(new long[] { 6, 1, 28, 28 }, one.Samples.shape);
        Assert.True(one.Samples.isfinite().all().item<bool>());
        // Each sample's z and posterior noise come from its own stream: the batch size does not matter.
        Assert.True(one.Samples.equal(other.Samples).all().item<bool>());
        // The generator's x_0 is a tanh, and the last step into clean data adds no noise.
        Assert.True(one.Samples.abs().max().item<float>() <= 1f);

        Refused(Definition(checkpoint, timeSteps: "{ \"type\": \"time-uniform\", \"steps\": 2, \"tEnd\": 0 }"), "whole chain", temp.Path);
        Refused(Definition(checkpoint, schedule: "{ \"type\": \"discrete\", \"betaSchedule\": \"linear\", \"trainingSteps\": 4 }"), "alpha_bar at step 1", temp.Path);
        Refused(Definition(checkpoint, schedule: "{ \"type\": \"discrete\", \"betaSchedule\": \"vp-continuous\", \"trainingSteps\": 8 }",
            timeSteps: "{ \"type\": \"time-uniform\", \"steps\": 8, \"tEnd\": 0 }"), "chain of 4 steps", temp.Path);
        Refused(Definition(checkpoint, solver: "ddpm"), "'ddgan'", temp.Path);
    }

    static void Refused(string json, string reason, string folder)
    {
        var e = Assert.Throws<PipelineInputException>(() => Host.Compose(json, folder).Dispose());
        Assert.Equal("$.solver", e.Path);
        Assert.Contains(reason, e.Message);
    }
}
