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
/// Consistency distillation (Song, Dhariwal, Chen and Sutskever 2023, Algorithm 2). The student theta, the target
/// theta- and, when emaDecay &gt; 0, the exported average all start as the teacher's weights, wrapped in the consistency
/// function f = c_skip x~ + c_out F (<see cref="ConsistencyParametrization"/>), so f(x, t_min) = x~ from the first step
/// and f is the teacher's x_0 prediction away from t_min. Each step draws clean x, a boundary n of the grid
/// (<see cref="ConsistencyGrid"/>) uniformly, x_(t_(n+1)) = alpha x + sigma z, and the teacher's one ODE step x^_(t_n);
/// the loss is d(f_theta(x_(t_(n+1)), t_(n+1)), f_theta-(x^_(t_n), t_n)) with lambda = 1, then
/// theta- &lt;- stopgrad(mu theta- + (1 - mu) theta). Labels are replaced by the null label with probability labelDropout,
/// for classifier-free guidance of the student. Checkpoints, resume to identical weights, Ctrl-C, the time limit and the
/// NaN stop work as for the other networks (<see cref="Trainer"/>); each checkpoint is scored by the self-consistency
/// error on held-out digits.
/// </summary>
public static class ConsistencyTrainer
{
    /// <summary>
    /// The role of a network that is a denoiser's network (forward(x, step index, labels) = eps) distilled into a
    /// consistency function; its teacher is a checkpoint of that network in TorchSharp's format with a JSON beside it
    /// holding "architecture" (and, when it was trained here, "training.definition.noiseSchedule").
    /// </summary>
    public const string Role = TrainingRoles.Consistency;

    /// <summary>The default teacher, the shipped eps UNet.</summary>
    public const string DefaultTeacher = "models/mnist-unet.ckpt";

    public static TrainingResult Run(PipelineHost host, TrainingDefinition definition, ITrainableNetwork trainable, ITrainingDataset dataset,
        TrainingRunOptions run, Action<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellation)
    {
        var s = definition.Settings;
        var doc = definition.Document;
        var method = Method(doc);
        if (method.Method != ConsistencyMethod.Distillation)
            return ConsistencyTrainingTrainer.Run(host, definition, method, trainable, dataset, run, progress, log, cancellation);
        if (doc[ConsistencySettings.Section] is JObject section && section.Properties().FirstOrDefault(p => ConsistencySettings.TrainingOnly.Contains(p.Name)) is { } extra)
            throw DefinitionError.At(extra, $"'{extra.Name}' is an option of consistency training without a teacher; set \"method\": \"training\" or \"improved\", or remove it", $"$.{ConsistencySettings.Section}.{extra.Name}");
        var location = definition.OutputLocation(run.Output);
        location.CheckResumable(TrainingState.FileName);
        if (definition.Architecture is not null)
            throw DefinitionError.At(doc["architecture"], "a consistency student has its teacher's architecture (read from the teacher's checkpoint); remove \"architecture\"", "$.architecture");
        var device = DeviceSelector.Resolve(s.Device, "$.device");
        var environment = new RunEnvironment(device, ScalarType.Float32, definition.BaseDirectory);
        var (schedule, scheduleResolved) = Trainer.ComposeSchedule(host.Catalog, definition.NoiseSchedule, environment);
        var teacherFile = FileLocation.Search(s.Teacher ?? DefaultTeacher, definition.BaseDirectory);
        var teacherInfo = TeacherInfo(teacherFile, doc);
        CheckSchedule(teacherInfo, scheduleResolved, teacherFile, doc);
        string teacherArchitecture = teacherInfo["architecture"]!.ToString(Formatting.None);

        var student = Load(trainable, teacherArchitecture, teacherFile, doc);
        var target = Load(trainable, teacherArchitecture, teacherFile, doc);
        var teacher = Load(trainable, teacherArchitecture, teacherFile, doc);
        var averaged = s.EmaDecay > 0 ? Load(trainable, teacherArchitecture, teacherFile, doc) : default;
        foreach (var m in new[] { student.Network, target.Network, teacher.Network, averaged.Network }) m?.to(device);
        var targetAverage = new ExponentialMovingAverage(student.Network, target.Network, s.TargetDecay);
        var average = averaged.Network is { } a ? new ExponentialMovingAverage(student.Network, a, s.EmaDecay) : null;
        target.Network.eval();
        teacher.Network.eval();
        averaged.Network?.eval();
        foreach (var p in teacher.Network.parameters()) p.requires_grad_(false);
        using var optimizer = new ExplicitAdamW(student.Network.parameters(), s.LearningRate, s.AdamBeta1 ?? 0.9, s.AdamBeta2 ?? 0.999, 1e-8, s.WeightDecay);

        var resolved = Trainer.Resolved(definition, trainable.Name, student.Architecture, scheduleResolved);
        resolved["teacher"] = teacherFile;
        resolved["teacherSha256"] = teacherInfo["weightsSha256"];
        var fingerprint = Trainer.Fingerprint(resolved);
        fingerprint.Remove("teacher");   // the same weights may be found at another path; their hash is what matters
        var (trainImages, trainLabels, heldImages, heldLabels) = Trainer.LoadData(dataset, s, definition, doc, device);
        using var _images = trainImages;
        using var _labels = trainLabels;
        using var _heldImages = heldImages;
        using var _heldLabels = heldLabels;
        var output = location.Target;
        Directory.CreateDirectory(output);
        if (!Outputs.OutputManifest.IsIn(output)) Outputs.OutputManifest.Write(output, "train");
        var statePath = Path.Combine(output, TrainingState.FileName);
        var checkpoint = Path.Combine(output, trainable.Name + ".ckpt");
        var trainingLog = new TrainingLog(Path.Combine(output, "log.csv"));
        if (run.Restart) File.Delete(statePath);
        nn.Module?[] modules = [student.Network, target.Network, averaged.Network];
        ExplicitAdamW[] optimizers = [optimizer];

        int start = 0;
        double elapsedBefore = 0;
        if (File.Exists(statePath))
        {
            var header = TrainingState.ReadHeader(statePath);
            Trainer.CheckSameRun(header["fingerprint"] as JObject, fingerprint, statePath);
            TrainingState.Read(statePath, modules, optimizers);
            start = (int?)header["step"] ?? 0;
            elapsedBefore = (double?)header["elapsedSeconds"] ?? 0;
            log?.Invoke($"resuming {statePath} at step {start}");
        }
        trainingLog.Truncate(start);
        File.WriteAllText(Path.Combine(output, "training.resolved.json"), resolved.ToString(Formatting.Indented));

        using var batches = new TrainingBatches(trainImages, trainLabels, s.BatchSize, s.Seed);
        long n = batches.Count;
        int batch = batches.Batch;
        using var grid = new ConsistencyGrid(schedule, s.ConsistencySteps, device);
        var studentF = Denoiser(student.Network, trainable.Name);
        var targetF = Denoiser(target.Network, trainable.Name);
        var teacherF = Denoiser(teacher.Network, trainable.Name);
        var exported = averaged.Network ?? student.Network;
        var exportSave = averaged.Save ?? student.Save;
        log?.Invoke($"{trainable.Name}: {student.Network.parameters().Sum(p => p.numel())} parameters from teacher {teacherFile}, {n} training examples, batch {batch}, " +
                    $"{grid.Count}-boundary grid, {s.TeacherSolver} teacher step, steps {start}..{s.Steps} on {device}");

        var session = Stopwatch.StartNew();
        using var lossSum = zeros(1, float32, device);
        int count = 0, lastSaved = start, step = start;
        double? lastLoss = null;
        string stopped = "completed";
        Dictionary<string, double> evaluation = [];
        student.Network.train();
        try
        {
            for (; step < s.Steps; step++)
            {
                if (cancellation.IsCancellationRequested) { stopped = "cancelled"; break; }
                if (s.MaxMinutes is double limit && session.Elapsed.TotalMinutes >= limit) { stopped = "time limit"; break; }

                using (var scope = NewDisposeScope())
                {
                    var (images, batchLabels) = batches.Take(step);
                    var labels = LabelDropout.Apply(batchLabels, s.LabelDropout);
                    double rate = Trainer.LearningRate(s, step);
                    optimizer.LearningRate = rate;

                    var loss = Loss(grid, s, studentF, targetF, teacherF, images, labels, randint(0, grid.Count - 1, [batch], int64, device), randn_like(images)).mean();
                    optimizer.ZeroGrad();
                    loss.backward();
                    if (s.GradientClip > 0) optimizer.ClipGradientNorm(s.GradientClip);
                    optimizer.Step();
                    // Algorithm 2: theta- <- stopgrad(mu theta- + (1 - mu) theta), with mu fixed (no warm-up).
                    targetAverage.Update(s.TargetDecay);
                    average?.Update(step);
                    lossSum.Plus_(loss.detach());
                    count++;

                    int done = step + 1;
                    if (done % s.LogEvery == 0 || done == s.Steps)
                    {
                        double mean = lossSum.item<float>() / count;
                        lossSum.zero_();
                        count = 0;
                        if (!double.IsFinite(mean))
                            throw new PipelineInputException($"the consistency loss became {mean} by step {done}; lower learningRate or raise warmupSteps (the last good state is at step {lastSaved})", "$.learningRate");
                        lastLoss = mean;
                        trainingLog.Append(done, mean, rate, elapsedBefore + session.Elapsed.TotalSeconds);
                        progress?.Invoke(new TrainingProgress(done, s.Steps, start, mean, rate, session.Elapsed));
                    }
                }
                if (step + 1 < s.Steps && (step + 1) % s.CheckpointEvery == 0)
                {
                    evaluation = Save(step + 1);
                    lastSaved = step + 1;
                }
            }
            if (step != lastSaved || !File.Exists(checkpoint))
            {
                evaluation = Save(step);
                lastSaved = step;
            }
        }
        finally
        {
            foreach (var m in new[] { student.Network, target.Network, teacher.Network, averaged.Network }) m?.Dispose();
        }
        log?.Invoke($"{stopped} at step {step} of {s.Steps}; checkpoint {checkpoint}");
        return new TrainingResult(output, checkpoint, step, s.Steps, start, stopped, lastLoss, evaluation,
            session.Elapsed, TimeSpan.FromSeconds(elapsedBefore + session.Elapsed.TotalSeconds));

        Dictionary<string, double> Save(int done)
        {
            double elapsed = elapsedBefore + session.Elapsed.TotalSeconds;
            TrainingState.Write(statePath, new JObject
            {
                ["step"] = done, ["elapsedSeconds"] = elapsed, ["network"] = trainable.Name, ["fingerprint"] = fingerprint,
            }, modules, optimizers);
            double error = SelfConsistency(grid, s, Denoiser(exported, trainable.Name), teacherF, heldImages, heldLabels);
            var scores = new Dictionary<string, double> { ["selfConsistency"] = error };
            var training = new JObject
            {
                ["definition"] = resolved,
                ["step"] = done,
                ["seed"] = s.Seed,
                ["device"] = device.ToString(),
                ["elapsedSeconds"] = Math.Round(elapsed, 1),
                ["loss"] = lastLoss,
                ["evaluation"] = new JObject { ["selfConsistency"] = error },
                // What mnist-consistency needs to rebuild f: the boundary s_min and sigma_data (Appendix C).
                ["consistency"] = new JObject
                {
                    ["sigmaMin"] = grid.SigmaMin, ["sigmaData"] = ConsistencyParametrization.SigmaData,
                    ["boundaries"] = new JArray(grid.Times), ["teacherSha256"] = teacherInfo["weightsSha256"],
                },
                ["versions"] = Outputs.RunWriter.Versions(),
            };
            exportSave(checkpoint, average is not null, training.ToString(Formatting.None));
            log?.Invoke($"step {done}: saved {Path.GetFileName(checkpoint)} (self-consistency {error:0.000000})");
            return scores;
        }
    }

    /// <summary>The "consistency" section, bound; absent means distillation.</summary>
    internal static ConsistencySettings Method(JObject doc) => doc[ConsistencySettings.Section] switch
    {
        null => new ConsistencySettings(),
        JObject o => OptionsBinder.Bind<ConsistencySettings>(o, $"\"{ConsistencySettings.Section}\""),
        var other => throw DefinitionError.At(other, $"\"{ConsistencySettings.Section}\" must be an object {{ \"method\": \"distillation\" | \"training\" | \"improved\", ... }}", "$." + ConsistencySettings.Section),
    };

    /// <summary>Algorithm 2's loss per sample: d(f_theta(x_(n+1), t_(n+1)), f_theta-(x^_n, t_n)) for boundaries n [B] in 0 .. N - 2 and noise z.</summary>
    static Tensor Loss(ConsistencyGrid grid, TrainingSettings s, nn.Module<Tensor, Tensor, Tensor, Tensor> student,
        nn.Module<Tensor, Tensor, Tensor, Tensor> target, nn.Module<Tensor, Tensor, Tensor, Tensor> teacher, Tensor images, Tensor labels, Tensor n, Tensor z)
    {
        var above = n.Plus(SafeTensorOps.One);
        var noisy = grid.Noisy(images, above, z);
        var stepped = grid.TeacherStep(teacher, s.TeacherSolver, noisy, n, labels);
        Tensor reference;
        using (no_grad())
            reference = grid.Function(target, stepped, n, labels);
        var prediction = grid.Function(student, noisy, above, labels);
        return ConsistencyGrid.Distance(s.ConsistencyDistance, prediction, reference);
    }

    /// <summary>
    /// The self-consistency error on held-out digits: the mean distance between f at t_(n+1) and f at the teacher's step
    /// to t_n, both through the same network, n cycling through the grid, noise from a fixed seed so checkpoints compare.
    /// </summary>
    internal static double SelfConsistency(ConsistencyGrid grid, TrainingSettings s, nn.Module<Tensor, Tensor, Tensor, Tensor> network,
        nn.Module<Tensor, Tensor, Tensor, Tensor> teacher, Tensor images, Tensor labels, int count = 256)
    {
        var module = (nn.Module)network;
        bool training = module.training;
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            long b = Math.Min(count, images.shape[0]);
            using var generator = new Generator((ulong)StepSeeds.Of(s.Seed, StepSeeds.Evaluation, 0), CPU);
            var x = images.narrow(0, 0, b);
            var y = labels.narrow(0, 0, b);
            var z = randn(x.shape, generator: generator).to(x.device);
            using Scalar first = 0L, end = b, by = 1L, pairs = grid.Count - 1L;
            var n = arange(first, end, by, int64).remainder(pairs).to(x.device);
            var above = n.Plus(SafeTensorOps.One);
            var noisy = grid.Noisy(x, above, z);
            var stepped = grid.TeacherStep(teacher, s.TeacherSolver, noisy, n, y);
            var d = ConsistencyGrid.Distance(ConsistencyDistance.L2, grid.Function(network, noisy, above, y), grid.Function(network, stepped, n, y));
            return d.mean().item<float>();
        }
        finally
        {
            module.train(training);
        }
    }

    internal static JObject TeacherInfo(string file, JObject doc, JToken? token = null, string path = "$.teacher")
    {
        var at = token ?? (JToken?)doc.Property("teacher")?.Value ?? doc;
        if (!File.Exists(file))
            throw DefinitionError.At(at, $"the teacher checkpoint '{file}' does not exist; name a UNet checkpoint written by 'train' (default {DefaultTeacher})", path);
        var json = Path.ChangeExtension(file, ".json");
        try
        {
            var info = JObject.Parse(File.ReadAllText(json));
            if (info["architecture"] is not JObject)
                throw DefinitionError.At(at, $"the teacher's '{json}' has no \"architecture\"; name a checkpoint written by 'train'", path);
            return info;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw DefinitionError.At(at, $"the teacher checkpoint '{file}' has no readable '{Path.GetFileName(json)}' beside it ({e.Message}); name a checkpoint written by 'train'", path);
        }
    }

    /// <summary>The student learns the teacher's ODE, so the schedule must be the one the teacher was trained on when its record says.</summary>
    internal static void CheckSchedule(JObject teacher, JObject schedule, string file, JObject doc)
    {
        if (teacher.SelectToken("training.definition.noiseSchedule") is not JObject trained || JToken.DeepEquals(trained, schedule)) return;
        throw DefinitionError.At(doc["noiseSchedule"] ?? doc,
            $"the teacher '{file}' was trained on the noise schedule {trained.ToString(Formatting.None)} but this file gives {schedule.ToString(Formatting.None)}; use the teacher's", "$.noiseSchedule");
    }

    internal static (nn.Module Network, string Architecture, Action<string, bool, string?> Save) Load(ITrainableNetwork trainable, string architecture, string file, JObject doc, JToken? token = null, string path = "$.teacher")
    {
        var at = token ?? (JToken?)doc.Property("teacher")?.Value ?? doc;
        nn.Module network;
        string resolved;
        Action<string, bool, string?> save;
        try
        {
            (network, resolved, save) = trainable.Create(architecture);
        }
        catch (PipelineInputException e)
        {
            throw DefinitionError.At(at, $"the teacher '{file}' is not a network '{trainable.Name}' can start from: its architecture is refused ({e.Message})", path);
        }
        try
        {
            network.load(file, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            network.Dispose();
            throw DefinitionError.At(at,
                $"the teacher's weights '{file}' do not fit network '{trainable.Name}' with the teacher's architecture ({e.Message}); name a checkpoint of that network", path);
        }
        return (network, resolved, save);
    }

    internal static nn.Module<Tensor, Tensor, Tensor, Tensor> Denoiser(nn.Module network, string name) =>
        network as nn.Module<Tensor, Tensor, Tensor, Tensor>
        ?? throw new InvalidOperationException($"network '{name}' has role {Role} but no forward(x, step, labels)");

}
