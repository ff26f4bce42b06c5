using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Training;
using Pipeline.IO;
using Pipeline.Options;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// The train command on tiny networks and 64 digits, on the CPU. Training seeds torch's global generator at every step, so these tests run alone: a test of another class drawing from
/// that generator at the same time would change the draws (seen as a resumed run that differed from an uninterrupted one).
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class TrainTests : IClassFixture<TrainTests.Digits>
{
    /// <summary>
    /// The shipped 1000 held-out digits twice, classes interleaved (0, 1, ..., 9, 0, 1, ...): the reader holds out the
    /// last 100 of each class, the second copy, and trains on the first, so a subset of 64 holds every class.
    /// </summary>
    public sealed class Digits : IDisposable
    {
        readonly TempFolder folder = new();

        public Digits()
        {
            var source = System.IO.Path.Combine(PluginBuilds.RepoRoot, "models", "mnist-heldout");
            using var images = NpyFile.Read(System.IO.Path.Combine(source, "images.npy"));
            using var labels = NpyFile.Read(System.IO.Path.Combine(source, "labels.npy"));
            // Shipped order is class by class, 100 each: position i of class c is row 100 c + i.
            using var interleave = tensor(Enumerable.Range(0, 1000).Select(k => (long)(k % 10 * 100 + k / 10)).ToArray());
            using var mixedImages = images.index_select(0, interleave);
            using var mixedLabels = labels.index_select(0, interleave);
            using var twiceImages = cat([mixedImages, mixedImages], 0);
            using var twiceLabels = cat([mixedLabels, mixedLabels], 0);
            NpyFile.Write(folder.File("images.npy"), twiceImages);
            NpyFile.Write(folder.File("labels.npy"), twiceLabels);
        }

        public string Path => folder.Path;

        public void Dispose() => folder.Dispose();
    }

    static readonly PipelineHost Host = new();
    readonly string data;

    public TrainTests(Digits digits) => data = digits.Path.Replace("\\", "/");

    const string TinyLeNet = "\"network\": \"mnist-lenet\", \"architecture\": { \"conv1\": 4, \"conv2\": 8, \"features\": 16, \"dropout\": 0.3 }";
    const string TinyUnet = "\"network\": \"unet\", \"architecture\": { \"channels\": 8, \"channelMultipliers\": [1, 2], \"groups\": 4, \"attention\": false, \"dropout\": 0.0 }";

    string Config(string network, string extra) =>
        $$"""{ {{network}}, "data": "{{data}}", "subset": 64, "device": "cpu", "seed": 3, {{extra}} }""";

    static TrainingResult Train(string json, string output, Action<TrainingProgress>? progress = null, CancellationToken cancel = default) =>
        Trainer.Run(Host, TrainingDefinition.Parse(json, Path.GetTempPath(), "tiny"), new TrainingRunOptions(output), progress, null, cancel);

    static double[] Losses(string output) => TrainingLog.Read(Path.Combine(output, "log.csv")).Select(r => r.Loss).ToArray();

    [Fact]
    public void TheClassifierLossGoesDownAndTheCheckpointIsScored()
    {
        using var temp = new TempFolder();
        var result = Train(Config(TinyLeNet, "\"steps\": 40, \"batchSize\": 32, \"learningRate\": 0.003, \"logEvery\": 10, \"checkpointEvery\": 20"), temp.Path);
        Assert.True(result.Completed);
        Assert.Equal("completed", result.Stopped);
        var losses = Losses(temp.Path);
        Assert.Equal(4, losses.Length);
        Assert.True(losses[^1] < 0.7 * losses[0], $"losses {string.Join(", ", losses)}");
        Assert.True(File.Exists(Path.Combine(temp.Path, "mnist-lenet.ckpt")));
        Assert.True(File.Exists(Path.Combine(temp.Path, "mnist-lenet.json")));
        // 64 training digits of every class, 40 steps: well above chance (0.1) on the 1000 held-out ones is all that is asked.
        Assert.True(result.Evaluation["heldOutAccuracy"] > 0.3, $"held-out accuracy {result.Evaluation["heldOutAccuracy"]}");
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp-*"));
    }

    [Fact]
    public void TheDenoiserLossGoesDownAndItsCheckpointSamplesThroughThePipeline()
    {
        using var temp = new TempFolder();
        var result = Train(Config(TinyUnet, "\"steps\": 30, \"batchSize\": 16, \"learningRate\": 0.002, \"emaDecay\": 0.9, \"logEvery\": 10"), temp.Path);
        var losses = Losses(temp.Path);
        // The output layer starts at zero, so the first loss is about E[eps^2] = 1.
        Assert.InRange(losses[0], 0.5, 1.5);
        Assert.True(losses[^1] < 0.8 * losses[0], $"losses {string.Join(", ", losses)}");
        Assert.True(result.Evaluation.ContainsKey("heldOutLoss"));

        var checkpoint = Path.Combine(temp.Path, "mnist-unet.ckpt").Replace("\\", "/");
        var json = $$"""
            {
              "model": { "type": "mnist-unet", "checkpoint": "{{checkpoint}}" },
              "noiseSchedule": { "type": "discrete" },
              "timeSteps": { "type": "time-uniform", "steps": 2 },
              "solver": { "type": "ddim" },
              "sampling": { "count": 4, "seed": 1, "labelsInRows": true, "device": "cpu" }
            }
            """;
        using var pipeline = Host.Compose(json, temp.Path);
        using var run = Host.Sample(pipeline);
        Assert.Equal(new long[] { 4, 1, 28, 28 }, run.Samples.shape);
        Assert.True(run.Samples.isfinite().all().item<bool>());
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameWeightsAsAnUninterruptedOne()
    {
        using var straight = new TempFolder();
        using var interrupted = new TempFolder();
        var config = Config(TinyLeNet, "\"steps\": 8, \"batchSize\": 16, \"learningRate\": 0.003, \"emaDecay\": 0.9, \"logEvery\": 1, \"checkpointEvery\": 3");
        Train(config, straight.Path);

        using var cancel = new CancellationTokenSource();
        var first = Train(config, interrupted.Path, p => { if (p.Step == 5) cancel.Cancel(); }, cancel.Token);
        Assert.Equal("cancelled", first.Stopped);
        Assert.Equal(5, first.Step);
        var second = Train(config, interrupted.Path);
        Assert.Equal(5, second.ResumedFrom);
        Assert.True(second.Completed);

        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.Path, "mnist-lenet.ckpt")), File.ReadAllBytes(Path.Combine(interrupted.Path, "mnist-lenet.ckpt")));
        Assert.Equal(Losses(straight.Path), Losses(interrupted.Path));
    }

    [Fact]
    public void ChangedSettingsRefuseToResumeUnlessOverwritten()
    {
        using var temp = new TempFolder();
        var file = temp.Write("tiny.train.json", Config(TinyLeNet, $"\"steps\": 2, \"batchSize\": 8, \"output\": \"{temp.Path.Replace("\\", "/")}/out\""));
        Assert.Equal(0, Cli.Run("train", file, "--quiet").ExitCode);
        Assert.True(File.Exists(Path.Combine(temp.Path, "out", ".pipeline-output.json")), "a training folder carries the manifest");

        File.WriteAllText(file, Config(TinyLeNet, $"\"steps\": 4, \"batchSize\": 8, \"learningRate\": 0.01, \"output\": \"{temp.Path.Replace("\\", "/")}/out\""));
        var refused = Cli.Run("train", file, "--quiet");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("learningRate", refused.Err);
        Assert.Contains("--overwrite", refused.Err);

        var restarted = Cli.Run("train", file, "--quiet", "--overwrite");
        Assert.True(restarted.ExitCode == 0, restarted.Err);
        Assert.Contains("trained 4 steps", restarted.Out);
    }

    [Fact]
    public void DamagedFilesAndMistakesInTheTrainingFileAreInputErrors()
    {
        using var temp = new TempFolder();
        var output = temp.File("out").Replace("\\", "/");
        var file = temp.Write("tiny.train.json", Config(TinyUnet, $"\"steps\": 2, \"batchSize\": 4, \"output\": \"{output}\""));
        Assert.Equal(0, Cli.Run("train", file, "--quiet").ExitCode);

        // A truncated checkpoint: a pipeline that loads it stops with exit code 2 before sampling.
        var checkpoint = Path.Combine(output, "mnist-unet.ckpt");
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);
        var definition = temp.Write("run.json", $$"""
            { "model": { "type": "mnist-unet", "checkpoint": "{{checkpoint.Replace("\\", "/")}}" }, "noiseSchedule": { "type": "discrete" },
              "timeSteps": { "type": "time-uniform", "steps": 2 }, "solver": { "type": "ddim" }, "sampling": { "count": 2, "device": "cpu" } }
            """);
        var run = Cli.Run("run", definition, "--quiet", "--output", temp.File("run"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("truncated", run.Err);

        // A truncated training state.
        var state = Path.Combine(output, TrainingState.FileName);
        File.WriteAllBytes(state, File.ReadAllBytes(state)[..200]);
        File.WriteAllText(file, Config(TinyUnet, $"\"steps\": 3, \"batchSize\": 4, \"output\": \"{output}\""));
        var resume = Cli.Run("train", file, "--quiet");
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains("cannot be resumed", resume.Err);

        var misspelt = Cli.Run("train", temp.Write("a.train.json", Config(TinyLeNet, "\"stepz\": 2")));
        Assert.Equal(2, misspelt.ExitCode);
        Assert.Contains("stepz", misspelt.Err);
        Assert.Contains("steps", misspelt.Err);

        var unknown = Cli.Run("train", temp.Write("b.train.json", "{ \"network\": \"mnist-unett\" }"));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("mnist-unet", unknown.Err);

        var badArchitecture = Cli.Run("train", temp.Write("c.train.json", "{ \"network\": \"mnist-unet\", \"architecture\": { \"channels\": 12 } }"));
        Assert.Equal(2, badArchitecture.ExitCode);
        Assert.Contains("$.architecture.groups", badArchitecture.Err);

        var noData = Cli.Run("train", temp.Write("d.train.json", $$"""{ {{TinyLeNet}}, "data": "{{temp.Path.Replace("\\", "/")}}/none", "device": "cpu" }"""));
        Assert.Equal(2, noData.ExitCode);
        Assert.Contains("fetch-mnist.sh", noData.Err);
        // Unreadable data is found before the output folder is made: nothing is left behind.
        var folder = temp.Path.Replace("\\", "/");
        var noDataHere = Cli.Run("train", temp.Write("e.train.json", $$"""{ {{TinyLeNet}}, "data": "{{folder}}/none", "device": "cpu", "output": "{{folder}}/never" }"""));
        Assert.Equal(2, noDataHere.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "never")));
    }

    [Fact]
    public void TheLearningRateWarmsUpThenFollowsItsSchedule()
    {
        var s = new TrainingSettings { Network = "x", Steps = 110, WarmupSteps = 10, LearningRate = 0.01, LearningRateSchedule = LearningRateSchedule.Cosine };
        Assert.Equal(0.001, Trainer.LearningRate(s, 0), 12);
        Assert.Equal(0.01, Trainer.LearningRate(s, 10), 12);
        Assert.Equal(0.005, Trainer.LearningRate(s, 60), 12);
        Assert.True(Trainer.LearningRate(s, 109) < 1e-5);
        s.LearningRateSchedule = LearningRateSchedule.Constant;
        Assert.Equal(0.01, Trainer.LearningRate(s, 109), 12);
    }

    [Fact]
    public void StepSeedsDifferByRunPurposeAndIndex()
    {
        var seeds = new HashSet<long>();
        for (long seed = 0; seed < 3; seed++)
            foreach (var purpose in new[] { StepSeeds.Step, StepSeeds.Epoch })
                for (int i = 0; i < 100; i++)
                    Assert.True(seeds.Add(StepSeeds.Of(seed, purpose, i)));
        Assert.All(seeds, s => Assert.True(s >= 0));
    }
}

[CollectionDefinition(nameof(GlobalRandomTests), DisableParallelization = true)]
public sealed class GlobalRandomTests;
