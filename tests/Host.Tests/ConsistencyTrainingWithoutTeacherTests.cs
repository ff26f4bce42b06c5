using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Training;
using Pipeline.Options;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Consistency training without a teacher (<see cref="ConsistencyTrainingTrainer"/>: Song et al. 2023, Algorithm 3, and
/// the improved recipe of Song and Dhariwal 2023) on 64 held-out digits on the CPU: the held-out self-consistency error
/// drops from random weights and from a UNet's, a resumed run ends with the same weights, the student samples through
/// the pipeline with the consistency solver, and refused combinations are input errors with their JSON path.
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class ConsistencyTrainingWithoutTeacherTests : IClassFixture<ConsistencyTrainingTests.Teacher>
{
    static readonly PipelineHost Host = new();
    const string Tiny = "\"architecture\": { \"channels\": 8, \"channelMultipliers\": [1, 2], \"groups\": 4, \"attention\": false, \"dropout\": 0.0 }";

    readonly ConsistencyTrainingTests.Teacher unet;

    public ConsistencyTrainingWithoutTeacherTests(ConsistencyTrainingTests.Teacher unet) => this.unet = unet;

    /// <summary>A run of <paramref name="method"/> from the tiny UNet's weights (or at random with "architecture" in extra).</summary>
    string Config(string method, string extra, string section = "", bool fromUnet = true) => $$"""
        { "network": "mnist-consistency", "data": "{{unet.Data}}", "subset": 64, "device": "cpu", "seed": 5, "batchSize": 16,
          "consistencySteps": 6, "labelDropout": 0.2,
          "consistency": { "method": "{{method}}", "initialSteps": 2, "finalSteps": 8{{(fromUnet ? $", \"initialWeights\": \"{unet.Checkpoint}\"" : "")}}{{section}} },
          {{extra}} }
        """;

    static TrainingResult Train(string json, string output, Action<TrainingProgress>? progress = null, CancellationToken cancel = default) =>
        Trainer.Run(Host, TrainingDefinition.Parse(json, Path.GetTempPath(), "ct"), new TrainingRunOptions(output), progress, null, cancel);

    [Theory]
    [InlineData("training", "l2", true, 0.001)]
    [InlineData("improved", "pseudo-huber", true, 0.0002)]
    [InlineData("training", "l2", false, 0.001)]
    [InlineData("improved", "pseudo-huber", false, 0.001)]
    public void TheSelfConsistencyErrorOnHeldOutDigitsDrops(string method, string distance, bool fromUnet, double rate)
    {
        using var before = new TempFolder();
        using var after = new TempFolder();
        string recipe = $"\"consistencyDistance\": \"{distance}\", \"logEvery\": 10{(fromUnet ? "" : ", " + Tiny)}";
        var initial = Train(Config(method, $"{recipe}, \"steps\": 1, \"learningRate\": 1e-8", fromUnet: fromUnet), before.Path).Evaluation["selfConsistency"];
        var trained = Train(Config(method, $"{recipe}, \"steps\": 60, \"learningRate\": {rate}", fromUnet: fromUnet), after.Path);
        Assert.True(trained.Completed);
        double error = trained.Evaluation["selfConsistency"];
        Assert.True(error < 0.7 * initial, $"self-consistency {initial} -> {error}");
        Assert.True(trained.Loss is double l && double.IsFinite(l));
    }

    [Theory]
    [InlineData("training")]
    [InlineData("improved")]
    public void AnInterruptedRunResumesToTheSameWeightsAsAnUninterruptedOne(string method)
    {
        using var straight = new TempFolder();
        using var interrupted = new TempFolder();
        // 6 steps of a curriculum that changes N at steps 2 and 4 (improved: K' = 2), stopped at 4.
        var config = Config(method, "\"steps\": 6, \"learningRate\": 0.001, \"emaDecay\": 0.9, \"logEvery\": 1, \"checkpointEvery\": 3");
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
    public void ChangingTheTotalStepsRefusesToResumeBecauseTheCurriculumDependsOnIt()
    {
        using var temp = new TempFolder();
        using var cancel = new CancellationTokenSource();
        Train(Config("improved", "\"steps\": 6, \"learningRate\": 0.001, \"logEvery\": 1, \"checkpointEvery\": 2"), temp.Path, p => { if (p.Step == 2) cancel.Cancel(); }, cancel.Token);
        var e = Assert.Throws<PipelineInputException>(() => Train(Config("improved", "\"steps\": 8, \"learningRate\": 0.001, \"logEvery\": 1, \"checkpointEvery\": 2"), temp.Path));
        Assert.Contains("curriculumSteps", e.Message);
    }

    [Fact]
    public void TheStudentSamplesInOneAndInTwoStepsThroughThePipeline()
    {
        using var temp = new TempFolder();
        var result = Train(Config("improved", "\"steps\": 2, \"learningRate\": 0.001"), temp.Path);
        var checkpoint = Path.Combine(temp.Path, "mnist-consistency.ckpt").Replace("\\", "/");
        var record = JObject.Parse(File.ReadAllText(Path.ChangeExtension(checkpoint, ".json")))["training"]!["consistency"]!;
        Assert.Equal("improved", (string)record["method"]!);
        foreach (var (solver, times) in new[] { ("consistency", "[1, 0]"), ("consistency", "[1, 0.5, 0]") })
        {
            var json = $$"""
                {
                  "model": { "type": "mnist-ct", "checkpoint": "{{checkpoint}}" },
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
            Assert.Contains("(line", e.Message);
            Assert.False(Directory.Exists(temp.File("out")), "a refused run left an output folder");
        }
        Refused(Config("improved", $"\"steps\": 1, \"teacher\": \"{unet.Checkpoint}\""), "$.teacher", "initialWeights");
        Refused(Config("training", "\"steps\": 1, \"targetDecay\": 0.9"), "$.targetDecay", "mu(k)");
        Refused(Config("training", "\"steps\": 1, \"teacherSolver\": \"ddim\""), "$.teacherSolver", "distillation");
        Refused(Config("improved", "\"steps\": 1").Replace("\"finalSteps\": 8", "\"finalSteps\": 1"), "$.consistency.finalSteps", "more than finalSteps");
        Refused(Config("improved", "\"steps\": 1", ", \"initialTargetDecay\": 0.9"), "$.consistency.initialTargetDecay", "mu = 0");
        Refused(Config("training", "\"steps\": 1", ", \"noiseMean\": 0"), "$.consistency.noiseMean", "uniformly");
        Refused(Config("trainin", "\"steps\": 1"), "$.consistency.method", "trainin");
        Refused(Config("improved", $"\"steps\": 1, {Tiny}"), "$.architecture", "initialWeights");
        Refused(Config("improved", "\"steps\": 1").Replace(unet.Checkpoint, temp.File("none.ckpt").Replace("\\", "/")), "$.consistency.initialWeights", "does not exist");
        Refused(Config("distillation", $"\"steps\": 1, \"teacher\": \"{unet.Checkpoint}\""), "$.consistency.initialSteps", "without a teacher");
    }
}
