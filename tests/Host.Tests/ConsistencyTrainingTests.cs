using Pipeline.Host;
using Pipeline.Host.Training;
using Pipeline.Options;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Consistency distillation (<see cref="ConsistencyTrainer"/>, Song et al. 2023, Algorithm 2) of a tiny UNet teacher trained
/// here on 64 of the shipped held-out digits, on the CPU: the self-consistency error drops, a resumed run ends with the
/// same weights, the student samples through the pipeline with the consistency solver, and refused combinations are input
/// errors with their JSON path. Training seeds torch's global generator, so these run alone.
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class ConsistencyTrainingTests : IClassFixture<ConsistencyTrainingTests.Teacher>
{
    static readonly PipelineHost Host = new();

    /// <summary>A tiny eps UNet trained for 40 steps, the teacher of every test here.</summary>
    public sealed class Teacher : IDisposable
    {
        readonly TrainTests.Digits digits = new();
        readonly TempFolder folder = new();

        public Teacher()
        {
            var json = $$"""
                { "network": "unet", "architecture": { "channels": 8, "channelMultipliers": [1, 2], "groups": 4, "attention": false, "dropout": 0.0 },
                  "data": "{{Data}}", "subset": 64, "device": "cpu", "seed": 3, "steps": 40, "batchSize": 16, "learningRate": 0.002, "logEvery": 10 }
                """;
            Trainer.Run(Host, TrainingDefinition.Parse(json, Path.GetTempPath(), "teacher"), new TrainingRunOptions(folder.Path));
        }

        public string Data => digits.Path.Replace("\\", "/");

        public string Checkpoint => Path.Combine(folder.Path, "mnist-unet.ckpt").Replace("\\", "/");

        public void Dispose()
        {
            folder.Dispose();
            digits.Dispose();
        }
    }

    readonly Teacher teacher;

    public ConsistencyTrainingTests(Teacher teacher) => this.teacher = teacher;

    string Config(string extra) => $$"""
        { "network": "mnist-consistency", "teacher": "{{teacher.Checkpoint}}", "data": "{{teacher.Data}}", "subset": 64, "device": "cpu",
          "seed": 5, "batchSize": 16, "consistencySteps": 6, "labelDropout": 0.2, {{extra}} }
        """;

    static TrainingResult Train(string json, string output, Action<TrainingProgress>? progress = null, CancellationToken cancel = default) =>
        Trainer.Run(Host, TrainingDefinition.Parse(json, Path.GetTempPath(), "cd"), new TrainingRunOptions(output), progress, null, cancel);

    [Theory]
    [InlineData("ddim", "l2")]
    [InlineData("heun", "pseudo-huber")]
    public void TheSelfConsistencyErrorOnHeldOutDigitsDrops(string solver, string distance)
    {
        using var before = new TempFolder();
        using var after = new TempFolder();
        string recipe = $"\"teacherSolver\": \"{solver}\", \"consistencyDistance\": \"{distance}\", \"targetDecay\": 0.9, \"logEvery\": 10";
        // One step at the smallest learning rate: the student as the teacher initialised it.
        var initial = Train(Config($"{recipe}, \"steps\": 1, \"learningRate\": 1e-8"), before.Path).Evaluation["selfConsistency"];
        var trained = Train(Config($"{recipe}, \"steps\": 60, \"learningRate\": 0.001"), after.Path);
        Assert.True(trained.Completed);
        double error = trained.Evaluation["selfConsistency"];
        Assert.True(error < 0.7 * initial, $"self-consistency {initial} -> {error}");
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameWeightsAsAnUninterruptedOne()
    {
        using var straight = new TempFolder();
        using var interrupted = new TempFolder();
        var config = Config("\"steps\": 6, \"learningRate\": 0.001, \"emaDecay\": 0.9, \"logEvery\": 1, \"checkpointEvery\": 3");
        Train(config, straight.Path);

        using var cancel = new CancellationTokenSource();
        var first = Train(config, interrupted.Path, p => { if (p.Step == 4) cancel.Cancel(); }, cancel.Token);
        Assert.Equal("cancelled", first.Stopped);
        var second = Train(config, interrupted.Path);
        Assert.Equal(4, second.ResumedFrom);
        Assert.True(second.Completed);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.Path, "mnist-consistency.ckpt")), File.ReadAllBytes(Path.Combine(interrupted.Path, "mnist-consistency.ckpt")));
        Assert.Equal(TrainingLog.Read(Path.Combine(straight.Path, "log.csv")), TrainingLog.Read(Path.Combine(interrupted.Path, "log.csv")));
    }

    [Fact]
    public void TheStudentSamplesInOneAndInTwoStepsThroughThePipeline()
    {
        using var temp = new TempFolder();
        Train(Config("\"steps\": 2, \"learningRate\": 0.001"), temp.Path);
        var checkpoint = Path.Combine(temp.Path, "mnist-consistency.ckpt").Replace("\\", "/");
        foreach (var (solver, times) in new[] { ("consistency", "[1, 0]"), ("lcm", "[1, 0.5, 0]") })
        {
            var json = $$"""
                {
                  "model": { "type": "mnist-consistency", "checkpoint": "{{checkpoint}}" },
                  "noiseSchedule": { "type": "discrete" },
                  "timeSteps": { "type": "explicit", "times": {{times}} },
                  "solver": { "type": "{{solver}}" },
                  "sampling": { "count": 3, "seed": 1, "device": "cpu" }
                }
                """;
            using var pipeline = Host.Compose(json, temp.Path);
            using var run = Host.Sample(pipeline);
            Assert.Equal(new long[] { 3, 1, 28, 28 }, run.Samples.shape);
            Assert.True(run.Samples.isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void RefusedCombinationsAreInputErrorsWithTheirPath()
    {
        using var temp = new TempFolder();
        void Refused(string json, string path, string words)
        {
            var e = Assert.Throws<PipelineInputException>(() => Train(json, temp.File("out")));
            Assert.Equal(path, e.Path);
            Assert.Contains(words, e.Message);
            Assert.False(Directory.Exists(temp.File("out")), "a refused run left an output folder");
        }
        Refused(Config("\"steps\": 1, \"architecture\": { \"channels\": 8 }"), "$.architecture", "teacher's architecture");
        Refused(Config("\"steps\": 1").Replace(teacher.Checkpoint, temp.File("none.ckpt").Replace("\\", "/")), "$.teacher", "does not exist");
        Refused(Config("\"steps\": 1, \"noiseSchedule\": { \"type\": \"discrete\", \"betaSchedule\": \"scaled-linear\" }"), "$.noiseSchedule", "use the teacher's");
        var lenet = Path.Combine(PluginBuilds.RepoRoot, "models", "mnist-lenet.ckpt").Replace("\\", "/");
        Refused(Config("\"steps\": 1").Replace(teacher.Checkpoint, lenet), "$.teacher", "is not a network");
        Refused($$"""{ "network": "unet", "teacher": "{{teacher.Checkpoint}}", "data": "{{teacher.Data}}", "steps": 1 }""", "$.teacher", "consistency distillation");
    }
}
