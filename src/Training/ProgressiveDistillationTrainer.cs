using System.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Runtime;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Training;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// Progressive distillation (Salimans and Ho 2022, Algorithm 2): the student, initialised from the teacher's weights,
/// learns to take in one deterministic DDIM step what the teacher takes in two (<see cref="DistillationRound"/>); after
/// stepsPerRound optimizer steps the student (its moving average when one is kept) is written as
/// &lt;network&gt;-&lt;N&gt;.ckpt, becomes the teacher of the next round and the starting point of the next student, which
/// has half the steps. Each round starts a fresh Adam state and decays the learning rate linearly to 0 (the paper's
/// schedule). Labels are replaced by the null label with probability labelDropout for teacher and student alike, so the
/// student keeps the unconditional branch of classifier-free guidance. The resumable state holds the step (and so the
/// round), the student, its average, the current teacher and the optimizer; Ctrl-C, maxMinutes and the NaN stop work as
/// in <see cref="Trainer"/>. The "steps" setting is not used: the run has rounds x stepsPerRound steps.
/// </summary>
public static class ProgressiveDistillationTrainer
{
    /// <summary>The role of a network (forward(x, step index, labels)) distilled from a checkpoint that the plugin reads.</summary>
    public const string Role = TrainingRoles.ProgressiveDistillation;

    /// <summary>The section of the training file with <see cref="ProgressiveDistillationSettings"/>.</summary>
    public const string Section = "progressiveDistillation";

    public static TrainingResult Run(PipelineHost host, TrainingDefinition definition, ITrainableNetwork trainable, ITrainingDataset dataset,
        TrainingRunOptions run, Action<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellation)
    {
        var s = definition.Settings;
        var doc = definition.Document;
        var pd = doc[Section] switch
        {
            null => new ProgressiveDistillationSettings(),
            JObject o => OptionsBinder.Bind<ProgressiveDistillationSettings>(o, Section),
            var other => throw DefinitionError.At(other, $"\"{Section}\" must be an object {{ \"teacher\", \"startSteps\", \"endSteps\", \"stepsPerRound\", \"weighting\" }}"),
        };
        if (doc["architecture"] is { } given)
            throw DefinitionError.At(given, "a progressive-distillation student has its teacher's architecture; remove \"architecture\"");
        var location = definition.OutputLocation(run.Output);
        location.CheckResumable(TrainingState.FileName);
        if (s.Threads is int threads) set_num_threads(threads);
        var device = DeviceSelector.Resolve(s.Device, "$.device");
        var environment = new RunEnvironment(device, ScalarType.Float32, definition.BaseDirectory);
        var (schedule, scheduleResolved) = Trainer.ComposeSchedule(host.Catalog, definition.NoiseSchedule, environment);
        var rounds = pd.Rounds();
        int total = rounds.Count * pd.StepsPerRound;

        var reader = TrainingPlugins.Find(host.Catalog).CheckpointReaders.FirstOrDefault(r => string.Equals(r.Name, trainable.Name, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"network '{trainable.Name}' has role {Role} but its plugin exports no checkpoint reader for it");
        var teacherToken = doc[Section]?["teacher"] ?? doc[Section] ?? doc;
        string teacherFile = FileLocation.Search(pd.Teacher, definition.BaseDirectory);
        nn.Module teacher;
        string architecture;
        string? teacherTraining;
        try
        {
            (teacher, architecture, teacherTraining) = reader.Read(teacherFile);
        }
        catch (PipelineInputException e)
        {
            throw DefinitionError.At(teacherToken, e.Message, $"$.{Section}.teacher");
        }
        var (teacherPrediction, teacherSteps) = Distilled(teacherTraining);
        if (teacherSteps is int m && m != 2 * pd.StartSteps)
            throw DefinitionError.At(doc[Section]?["startSteps"] ?? teacherToken,
                $"the teacher is a student of {m} steps, so the first round distils it into {m / 2} steps; set startSteps to {m / 2}", $"$.{Section}.startSteps");
        Trainer.CheckTrainingSteps(architecture, schedule, doc);

        random.manual_seed(StepSeeds.Of(s.Seed, StepSeeds.Initialisation, 0));
        var (student, _, save) = trainable.Create(architecture);
        TrainableNetworkInstance? averaged = s.EmaDecay > 0 ? trainable.Create(architecture) : null;
        Copy(teacher, student);
        teacher.to(device);
        student.to(device);
        averaged?.Network.to(device);
        teacher.eval();
        var average = averaged is { } a ? new ExponentialMovingAverage(student, a.Network, s.EmaDecay) : null;
        average?.Reset();
        average?.Average.eval();
        var exported = average?.Average ?? student;
        var exportSave = averaged?.Save ?? save;
        var optimizer = NewOptimizer(student, s);

        var resolved = Trainer.Resolved(definition, trainable.Name, architecture, scheduleResolved);
        resolved[Section] = OptionsBinder.Write(pd);
        var fingerprint = Trainer.Fingerprint(resolved);
        var (trainImages, trainLabels, heldImages, heldLabels) = Trainer.LoadData(dataset, s, definition, doc, device);
        using var _images = trainImages;
        using var _labels = trainLabels;
        using var _heldImages = heldImages;
        using var _heldLabels = heldLabels;
        var output = location.Target;
        Directory.CreateDirectory(output);
        if (!Outputs.OutputManifest.IsIn(output)) Outputs.OutputManifest.Write(output, "train");
        var statePath = Path.Combine(output, TrainingState.FileName);
        var trainingLog = new TrainingLog(Path.Combine(output, "log.csv"), ["studentSteps"]);
        if (run.Restart) File.Delete(statePath);

        int start = 0;
        double elapsedBefore = 0;
        if (File.Exists(statePath))
        {
            var header = TrainingState.ReadHeader(statePath);
            Trainer.CheckSameRun(header["fingerprint"] as JObject, fingerprint, statePath);
            TrainingState.Read(statePath, [student, average?.Average, teacher], [optimizer]);
            start = (int?)header["step"] ?? 0;
            elapsedBefore = (double?)header["elapsedSeconds"] ?? 0;
            teacherPrediction = Enum.TryParse<PredictionType>((string?)header["teacherPrediction"], out var p) ? p : teacherPrediction;
            log?.Invoke($"resuming {statePath} at step {start}");
        }
        trainingLog.Truncate(start);
        File.WriteAllText(Path.Combine(output, "training.resolved.json"), resolved.ToString(Formatting.Indented));

        using var batches = new TrainingBatches(trainImages, trainLabels, s.BatchSize, s.Seed);
        long n = batches.Count;
        int batch = batches.Batch;
        log?.Invoke($"{trainable.Name}: {student.parameters().Sum(q => q.numel())} parameters, teacher {teacherFile} ({teacherPrediction}), rounds {string.Join(" -> ", rounds)} steps, " +
                    $"{pd.StepsPerRound} optimizer steps each, batch {batch}, steps {start}..{total} on {device}");

        var session = Stopwatch.StartNew();
        using var lossSum = zeros(1, float32, device);
        int lossCount = 0, lastSaved = start, step = start;
        double? lastLoss = null;
        string stopped = "completed";
        string? checkpoint = null;
        DistillationRound? round = null;
        Dictionary<string, double> evaluation = [];
        student.train();
        try
        {
            for (; step < total; step++)
            {
                if (cancellation.IsCancellationRequested) { stopped = "cancelled"; break; }
                if (s.MaxMinutes is double limit && session.Elapsed.TotalMinutes >= limit) { stopped = "time limit"; break; }
                int r = step / pd.StepsPerRound, local = step % pd.StepsPerRound;
                if (round?.Steps != rounds[r])
                {
                    round?.Dispose();
                    round = new DistillationRound(schedule, rounds[r], pd.Weighting, pd.ClipTeacher, device);
                }

                using (var scope = NewDisposeScope())
                {
                    var (images, batchLabels) = batches.Take(step);
                    var labels = LabelDropout.Apply(batchLabels, s.LabelDropout);
                    double rate = LearningRate(s, pd, local);
                    optimizer.LearningRate = rate;
                    optimizer.ZeroGrad();
                    var loss = round.Loss(student, teacher, teacherPrediction, images, labels);
                    loss.backward();
                    if (s.GradientClip > 0) optimizer.ClipGradientNorm(s.GradientClip);
                    optimizer.Step();
                    average?.Update(local);
                    lossSum.Plus_(loss.detach());
                    lossCount++;

                    int done = step + 1;
                    if (done % s.LogEvery == 0 || done % pd.StepsPerRound == 0)
                    {
                        double mean = lossSum.item<float>() / lossCount;
                        lossSum.zero_();
                        lossCount = 0;
                        if (!double.IsFinite(mean))
                            throw new PipelineInputException($"the distillation loss became {mean} by step {done}; lower learningRate or raise warmupSteps (the last good state is at step {lastSaved})", "$.learningRate");
                        lastLoss = mean;
                        trainingLog.Append(done, mean, rate, elapsedBefore + session.Elapsed.TotalSeconds, rounds[r]);
                        progress?.Invoke(new TrainingProgress(done, total, start, mean, rate, session.Elapsed));
                    }
                }
                int finished = step + 1;
                if (finished % pd.StepsPerRound == 0)
                {
                    EndRound(finished / pd.StepsPerRound - 1);
                    SaveState(finished);
                    lastSaved = finished;
                }
                else if (finished % s.CheckpointEvery == 0)
                {
                    SaveState(finished);
                    lastSaved = finished;
                }
            }
            if (step != lastSaved) SaveState(step);
        }
        finally
        {
            round?.Dispose();
            optimizer.Dispose();
            teacher.Dispose();
            student.Dispose();
            averaged?.Network.Dispose();
        }
        int completedRounds = step / pd.StepsPerRound;
        checkpoint ??= completedRounds > 0 ? RoundCheckpoint(completedRounds - 1) : Path.Combine(output, trainable.Name + ".ckpt");
        log?.Invoke($"{stopped} at step {step} of {total}; last round checkpoint {(completedRounds > 0 ? checkpoint : "(none yet)")}");
        return new TrainingResult(output, checkpoint, step, total, start, stopped, lastLoss, evaluation,
            session.Elapsed, TimeSpan.FromSeconds(elapsedBefore + session.Elapsed.TotalSeconds));

        string RoundCheckpoint(int r) => Path.Combine(output, $"{trainable.Name}-{rounds[r]}.ckpt");

        void SaveState(int done)
        {
            TrainingState.Write(statePath, new JObject
            {
                ["step"] = done, ["elapsedSeconds"] = elapsedBefore + session.Elapsed.TotalSeconds, ["network"] = trainable.Name,
                ["teacherPrediction"] = teacherPrediction.ToString(), ["fingerprint"] = fingerprint,
            }, [student, average?.Average, teacher], [optimizer]);
        }

        // Writes round r's student and hands it on: it becomes the teacher, and the next student starts from it.
        void EndRound(int r)
        {
            int steps = rounds[r];
            exported.eval();
            using (var eval = NewDisposeScope())
                evaluation = new Dictionary<string, double> { ["heldOutLoss"] = HeldOutLoss(round!, exported, teacher, teacherPrediction, heldImages, heldLabels, s.Seed) };
            var times = Enumerable.Range(0, steps + 1).Select(i => (steps - i) / (double)steps).ToArray();
            var training = new JObject
            {
                ["definition"] = resolved,
                ["step"] = (r + 1) * pd.StepsPerRound,
                ["seed"] = s.Seed,
                ["device"] = device.ToString(),
                ["elapsedSeconds"] = Math.Round(elapsedBefore + session.Elapsed.TotalSeconds, 1),
                ["loss"] = lastLoss,
                ["evaluation"] = new JObject(evaluation.Select(kv => new JProperty(kv.Key, kv.Value))),
                ["distillation"] = new JObject
                {
                    ["method"] = Role,
                    ["round"] = r + 1,
                    ["steps"] = steps,
                    ["prediction"] = "v",
                    ["weighting"] = OptionsBinder.EnumJson(pd.Weighting),
                    ["solver"] = "ddim",
                    ["times"] = new JArray(times),
                    ["alphas"] = new JArray(times.Select(t => t <= 0 ? 1.0 : schedule.Alpha(t))),
                    ["teacher"] = r == 0 ? teacherFile : RoundCheckpoint(r - 1),
                },
                ["versions"] = Outputs.RunWriter.Versions(),
            };
            checkpoint = RoundCheckpoint(r);
            exportSave(checkpoint, average is not null, training.ToString(Formatting.None));
            log?.Invoke($"round {r + 1} of {rounds.Count}: saved {Path.GetFileName(checkpoint)} ({steps} steps, held-out loss {evaluation["heldOutLoss"]:0.0000})");
            if (r + 1 == rounds.Count) return;
            Copy(exported, teacher);
            Copy(exported, student);
            average?.Reset();
            teacherPrediction = PredictionType.V;
            optimizer.Dispose();
            optimizer = NewOptimizer(student, s);
            student.train();
        }
    }

    /// <summary>The round's mean weighted loss of <paramref name="student"/> on up to 256 held-out digits, with draws fixed by the seed.</summary>
    public static double HeldOutLoss(DistillationRound round, nn.Module student, nn.Module teacher, PredictionType teacherPrediction, Tensor images, Tensor labels, long seed)
    {
        using var scope = NewDisposeScope();
        long count = Math.Min(256, images.shape[0]);
        if (count == 0) return double.NaN;
        var x = images.narrow(0, 0, count);
        using var generator = new Generator((ulong)StepSeeds.Of(seed, StepSeeds.Evaluation, round.Steps), CPU);
        var j = randint(0, round.Steps, [count], int64, CPU, generator: generator).to(x.device);
        var eps = randn([.. x.shape], float32, CPU, generator: generator).to(x.device);
        using var _ = no_grad();
        return round.Loss(student, teacher, teacherPrediction, x, labels.narrow(0, 0, count), j, eps).mean().item<float>();
    }

    /// <summary>Warm-up, then linear decay to 0 at the end of the round.</summary>
    static double LearningRate(TrainingSettings s, ProgressiveDistillationSettings pd, int local)
    {
        if (local < s.WarmupSteps) return s.LearningRate * (local + 1) / s.WarmupSteps;
        return s.LearningRate * (1 - (double)(local - s.WarmupSteps) / Math.Max(1, pd.StepsPerRound - s.WarmupSteps));
    }

    static ExplicitAdamW NewOptimizer(nn.Module student, TrainingSettings s) =>
        new(student.parameters(), s.LearningRate, s.AdamBeta1 ?? 0.9, s.AdamBeta2 ?? 0.999, 1e-8, s.WeightDecay);

    /// <summary>The teacher's parametrization and, for a distilled teacher, its step count (from its training record).</summary>
    static (PredictionType Prediction, int? Steps) Distilled(string? training)
    {
        if (training is null || JObject.Parse(training)["distillation"] is not JObject d) return (PredictionType.Epsilon, null);
        var prediction = (string?)d["prediction"] switch { "v" => PredictionType.V, "data" => PredictionType.Data, _ => PredictionType.Epsilon };
        return (prediction, (int?)d["steps"]);
    }

    static void Copy(nn.Module from, nn.Module to)
    {
        using var _ = no_grad();
        foreach (var (a, b) in to.parameters().Zip(from.parameters())) a.copy_(b);
        foreach (var (a, b) in to.buffers().Zip(from.buffers())) a.copy_(b);
    }
}
