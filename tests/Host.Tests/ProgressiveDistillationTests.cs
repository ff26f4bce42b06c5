using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Composition;
using Pipeline.Host.Training;
using Pipeline.IO;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Progressive distillation (Salimans and Ho 2022) of a tiny MNIST UNet teacher, trained here for a few steps on 64
/// digits, into students of 4 and then 2 DDIM steps (<see cref="ProgressiveDistillationTrainer"/>); the students
/// sampled through the pipeline by the mnist-pd model and refused on every other solver, grid and schedule.
/// </summary>
[Collection(nameof(GlobalRandomTests))]
public class ProgressiveDistillationTests(ProgressiveDistillationTests.Distilled distilled) : IClassFixture<ProgressiveDistillationTests.Distilled>
{
    static readonly PipelineHost Host = new();
    const int StepsPerRound = 24;

    /// <summary>The teacher (a tiny mnist-unet trained for 40 steps) and one distillation run 4 -> 2 steps from it.</summary>
    public sealed class Distilled : IDisposable
    {
        readonly TrainTests.Digits digits = new();
        readonly TempFolder folder = new();

        public Distilled()
        {
            var teacherJson = $$"""
                {
                  "network": "unet", "architecture": { "channels": 8, "channelMultipliers": [1, 2], "groups": 4, "attention": false, "dropout": 0.0 },
                  "data": "{{Data}}", "subset": 64, "device": "cpu", "seed": 3, "steps": 40, "batchSize": 16, "learningRate": 0.002, "logEvery": 10
                }
                """;
            Trainer.Run(Host, TrainingDefinition.Parse(teacherJson, folder.Path, "teacher"), new TrainingRunOptions(Path.Combine(folder.Path, "teacher")));
            Result = Trainer.Run(Host, TrainingDefinition.Parse(Config(), folder.Path, "pd"), new TrainingRunOptions(Output));
        }

        public string Data => digits.Path.Replace("\\", "/");
        public string Teacher => Path.Combine(folder.Path, "teacher", "mnist-unet.ckpt").Replace("\\", "/");
        public string Output => Path.Combine(folder.Path, "pd");
        public TrainingResult Result { get; }

        public string Config(int checkpointEvery = 1000) => $$"""
            {
              "network": "mnist-pd", "data": "{{Data}}", "subset": 64, "device": "cpu", "seed": 5,
              "progressiveDistillation": { "teacher": "{{Teacher}}", "startSteps": 4, "endSteps": 2, "stepsPerRound": {{StepsPerRound}} },
              "batchSize": 16, "learningRate": 0.002, "emaDecay": 0.9, "labelDropout": 0.1, "logEvery": 4, "checkpointEvery": {{checkpointEvery}}
            }
            """;

        public void Dispose()
        {
            folder.Dispose();
            digits.Dispose();
        }
    }

    static string Sampling(string checkpoint, string timeSteps = "{ \"type\": \"time-uniform\", \"steps\": 2, \"tEnd\": 0 }",
        string solver = "{ \"type\": \"ddim\" }", string schedule = "{ \"type\": \"discrete\", \"betaSchedule\": \"linear\" }") => $$"""
        {
          "model": { "type": "mnist-pd", "checkpoint": "{{checkpoint}}" },
          "noiseSchedule": {{schedule}},
          "timeSteps": {{timeSteps}},
          "solver": {{solver}},
          "guidance": [ { "type": "cfg", "scale": 2 } ],
          "sampling": { "count": 4, "seed": 1, "labelsInRows": true, "device": "cpu" }
        }
        """;

    string Student(int steps) => Path.Combine(distilled.Output, $"mnist-pd-{steps}.ckpt").Replace("\\", "/");

    static double[] Losses(string output) => TrainingLog.Read(Path.Combine(output, "log.csv")).Select(r => r.Loss).ToArray();

    [Fact]
    public void TheDistillationLossGoesDownAndEachRoundRecordsItsStudent()
    {
        Assert.Equal("completed", distilled.Result.Stopped);
        Assert.Equal(2 * StepsPerRound, distilled.Result.Step);
        var losses = Losses(distilled.Output);
        Assert.Equal(2 * StepsPerRound / 4, losses.Length);
        // Round 1 starts from the eps teacher's weights read as v, which is far off where alpha is small.
        var firstRound = losses.Take(StepsPerRound / 4).ToArray();
        Assert.True(firstRound[^1] < 0.75 * firstRound[0], $"losses {string.Join(", ", losses)}");
        foreach (var steps in new[] { 4, 2 })
        {
            var info = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(Student(steps), ".json")))!;
            var record = info["training"]!["distillation"]!;
            Assert.Equal(steps, (int)record["steps"]!);
            Assert.Equal("v", (string)record["prediction"]!);
            Assert.Equal("ddim", (string)record["solver"]!);
            Assert.Equal(Enumerable.Range(0, steps + 1).Select(i => (steps - i) / (double)steps), record["times"]!.AsArray().Select(t => (double)t!));
            Assert.Equal("discrete", (string)info["training"]!["definition"]!["noiseSchedule"]!["type"]!);
        }
        Assert.Equal(Student(4), ((string)JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(Student(2), ".json")))!["training"]!["distillation"]!["teacher"]!).Replace("\\", "/"));
    }

    [Fact]
    public void ARoundsStudentReproducesTwoTeacherStepsBetterThanItsStartingCopy()
    {
        var reader = TrainingPlugins.Find(Host.Catalog).CheckpointReaders.Single(r => r.Name == "mnist-pd");
        var spec = JObject.Parse("""{ "type": "discrete", "betaSchedule": "linear" }""");
        var (schedule, _) = new PipelineComposer(Host.Catalog).BuildPlugin<INoiseSchedule>(spec, PluginKinds.NoiseSchedule, new RunEnvironment(CPU, ScalarType.Float32, Path.GetTempPath()));
        // The data set's held-out digits, in [-1, 1] as training sees them.
        var (trainImages, trainLabels, x, y) = TrainingPlugins.Find(Host.Catalog).Dataset("mnist").Load(distilled.Data, Path.GetTempPath());
        trainImages.Dispose();
        trainLabels.Dispose();
        using var _x = x;
        using var _y = y;
        using var round = new DistillationRound(schedule, 4, DistillationWeighting.TruncatedSnr, clipTeacher: true, CPU);

        var (teacher, _, _) = reader.Read(distilled.Teacher);
        var (copy, _, _) = reader.Read(distilled.Teacher);
        var (student, _, _) = reader.Read(Student(4));
        using (teacher) using (copy) using (student)
        {
            double before = ProgressiveDistillationTrainer.HeldOutLoss(round, copy, teacher, PredictionType.Epsilon, x, y, 9);
            double after = ProgressiveDistillationTrainer.HeldOutLoss(round, student, teacher, PredictionType.Epsilon, x, y, 9);
            Assert.True(after < 0.5 * before, $"held-out distillation loss {after} after round 1, {before} for the teacher's copy it started from");
        }
    }

    [Fact]
    public void AnInterruptedRunResumesToTheSameWeightsAcrossARound()
    {
        using var interrupted = new TempFolder();
        var definition = TrainingDefinition.Parse(distilled.Config(checkpointEvery: 10), interrupted.Path, "pd");
        foreach (var at in new[] { 12, 28 })
        {
            using var cancel = new CancellationTokenSource();
            var part = Trainer.Run(Host, definition, new TrainingRunOptions(interrupted.Path), p => { if (p.Step == at) cancel.Cancel(); }, null, cancel.Token);
            Assert.Equal("cancelled", part.Stopped);
        }
        var last = Trainer.Run(Host, definition, new TrainingRunOptions(interrupted.Path));
        Assert.Equal(28, last.ResumedFrom);
        Assert.Equal("completed", last.Stopped);
        foreach (var steps in new[] { 4, 2 })
            Assert.Equal(File.ReadAllBytes(Student(steps)), File.ReadAllBytes(Path.Combine(interrupted.Path, $"mnist-pd-{steps}.ckpt")));
        Assert.Equal(Losses(distilled.Output), Losses(interrupted.Path));
    }

    [Fact]
    public void TheStudentSamplesThroughThePipelineOnItsOwnGrid()
    {
        using var pipeline = Host.Compose(Sampling(Student(2)), distilled.Output);
        Assert.IsAssignableFrom<IDistilledModel>(pipeline.Model);
        Assert.Equal(PredictionType.V, pipeline.Model.Prediction);
        using var run = Host.Sample(pipeline);
        Assert.Equal(new long[] { 4, 1, 28, 28 }, run.Samples.shape);
        Assert.True(run.Samples.isfinite().all().item<bool>());
    }

    [Fact]
    public void OtherStepsGridsSchedulesAndSolversAreRefusedWhereTheyAreAsked()
    {
        var student = Student(2);
        Refused(Sampling(student, timeSteps: "{ \"type\": \"time-uniform\", \"steps\": 4, \"tEnd\": 0 }"), "$.timeSteps", "give 4 steps");
        Refused(Sampling(student, timeSteps: "{ \"type\": \"explicit\", \"times\": [1, 0.6, 0] }"), "$.timeSteps", "time 1 is 0.6");
        Refused(Sampling(student, schedule: "{ \"type\": \"discrete\", \"betaSchedule\": \"scaled-linear\" }"), "$.noiseSchedule", "but the student was trained with");
        Refused(Sampling(student, solver: "{ \"type\": \"ddpm\" }"), "$.solver", "solver 'ddpm'");
        Refused(Sampling(student, solver: "{ \"type\": \"dpm-solver++\" }"), "$.solver", "deterministic 'ddim'");
        Refused(Sampling(student, solver: "{ \"type\": \"ddim\", \"eta\": 0.5 }"), "$.solver", "eta 0");
        Refused(Sampling(distilled.Teacher), "$.model.checkpoint", "not a distilled student");
        var withOptimizer = Sampling(student).Replace("\"guidance\":", "\"optimizers\": [ { \"type\": \"ams\" } ], \"guidance\":");
        Refused(withOptimizer, "$.optimizers", "remove it");
    }

    void Refused(string json, string path, string reason)
    {
        var e = Assert.Throws<PipelineInputException>(() => Host.Compose(json, distilled.Output).Dispose());
        Assert.Equal(path, e.Path);
        Assert.Contains(reason, e.Message);
    }
}
