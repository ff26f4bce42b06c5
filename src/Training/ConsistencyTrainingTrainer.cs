using System.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Runtime;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Training;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// Consistency training without a teacher, for network mnist-consistency with "consistency": { "method": "training" }
/// (Song, Dhariwal, Chen and Sutskever 2023, Algorithm 3) or "improved" (Song and Dhariwal 2023). The student is the
/// consistency function f = c_skip x~ + c_out F over an eps UNet (<see cref="ConsistencyParametrization"/>), started from
/// an eps UNet's weights (consistency.initialWeights) or at random. At step k of K the grid has N(k) boundaries
/// (<see cref="ConsistencyCurriculum"/>); each sample draws a pair index n and one noise z, and both points lie on the
/// same z: x_(n+1) = alpha_(n+1) x + sigma_(n+1) z and x_n = alpha_n x + sigma_n z (in the EDM variables x + s z, the
/// unbiased estimate of the teacher's ODE step that Algorithm 3 replaces the teacher with). The loss is
/// lambda(n) d(f_theta(x_(n+1), t_(n+1)), f_theta-(x_n, t_n)).
/// Training: n uniform, lambda = 1, theta- &lt;- stopgrad(mu(k) theta- + (1 - mu(k)) theta).
/// Improved: n from the lognormal (<see cref="LognormalNoiseIndex"/>), lambda = 1 / (sigma_(n+1) - sigma_n), and
/// theta- = stopgrad(theta) (mu = 0, section 3.2). Both keep emaDecay's average for the checkpoint, which is what samples.
/// Checkpoints, resume to identical weights, Ctrl-C, the time limit and the NaN stop are those of <see cref="ConsistencyTrainer"/>;
/// each checkpoint is scored by the self-consistency error on held-out digits over a fixed grid of consistencySteps
/// boundaries, the two points again on one z.
/// </summary>
public static class ConsistencyTrainingTrainer
{
    public static TrainingResult Run(PipelineHost host, TrainingDefinition definition, ConsistencySettings c, ITrainableNetwork trainable, ITrainingDataset dataset,
        TrainingRunOptions run, Action<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellation)
    {
        var s = definition.Settings;
        var doc = definition.Document;
        string section = ConsistencySettings.Section;
        string methodName = OptionsBinder.EnumJson(c.Method);
        foreach (var key in new[] { "teacher", "teacherSolver", "targetDecay" })
            if (doc.Property(key) is { } p)
                throw DefinitionError.At(p, key == "teacher"
                    ? $"consistency {methodName} has no teacher; to start from a UNet's weights set {section}.initialWeights"
                    : $"'{key}' is an option of consistency distillation; {methodName} {(key == "targetDecay" ? "takes mu(k) from its curriculum" : "steps no ODE")}, so remove it", "$." + key);
        var cToken = doc[section]!;
        if (c.Method == ConsistencyMethod.Improved && cToken is JObject o && o.Property("initialTargetDecay") is { } decay)
            throw DefinitionError.At(decay, "improved consistency training has no EMA in the target (mu = 0, Song and Dhariwal 2023, section 3.2); remove initialTargetDecay or use \"method\": \"training\"", $"$.{section}.initialTargetDecay");
        if (c.Method == ConsistencyMethod.Training && cToken is JObject o2 && (o2.Property("noiseMean") ?? o2.Property("noiseStd")) is { } lognormal)
            throw DefinitionError.At(lognormal, $"'{lognormal.Name}' belongs to the lognormal index of \"method\": \"improved\"; consistency training draws n uniformly", $"$.{section}.{lognormal.Name}");
        var location = definition.OutputLocation(run.Output);
        location.CheckResumable(TrainingState.FileName);
        var device = DeviceSelector.Resolve(s.Device, "$.device");
        var environment = new RunEnvironment(device, ScalarType.Float32, definition.BaseDirectory);
        var (schedule, scheduleResolved) = Trainer.ComposeSchedule(host.Catalog, definition.NoiseSchedule, environment);

        // The networks: an eps UNet's weights when given (the recipe's "start from the diffusion model"), else seeded random ones.
        string? initialFile = null;
        JObject? initialInfo = null;
        (nn.Module Network, string Architecture, Action<string, bool, string?> Save) Build()
        {
            if (initialFile is not null) return ConsistencyTrainer.Load(trainable, initialInfo!["architecture"]!.ToString(Formatting.None), initialFile, doc, InitialToken(doc), InitialPath);
            var (network, architecture, save) = Trainer.Create(trainable, definition);
            return (network, architecture, save);
        }
        if (c.InitialWeights is not null)
        {
            if (definition.Architecture is not null)
                throw DefinitionError.At(doc["architecture"], $"a student started from {section}.initialWeights has that network's architecture; remove \"architecture\"", "$.architecture");
            initialFile = FileLocation.Search(c.InitialWeights, definition.BaseDirectory);
            initialInfo = ConsistencyTrainer.TeacherInfo(initialFile, doc, InitialToken(doc), InitialPath);
            ConsistencyTrainer.CheckSchedule(initialInfo, scheduleResolved, initialFile, doc);
        }
        random.manual_seed(StepSeeds.Of(s.Seed, StepSeeds.Initialisation, 0));
        var student = Build();
        Trainer.CheckTrainingSteps(student.Architecture, schedule, doc);
        var target = c.Method == ConsistencyMethod.Training ? Build() : default;
        var averaged = s.EmaDecay > 0 ? Build() : default;
        var all = new[] { student.Network, target.Network, averaged.Network };
        foreach (var m in all) m?.to(device);
        var targetAverage = target.Network is { } t ? new ExponentialMovingAverage(student.Network, t, 0) : null;
        var average = averaged.Network is { } a ? new ExponentialMovingAverage(student.Network, a, s.EmaDecay) : null;
        targetAverage?.Reset();
        average?.Reset();
        target.Network?.eval();
        averaged.Network?.eval();
        using var optimizer = new ExplicitAdamW(student.Network.parameters(), s.LearningRate, s.AdamBeta1 ?? 0.9, s.AdamBeta2 ?? 0.999, 1e-8, s.WeightDecay);

        var resolved = Trainer.Resolved(definition, trainable.Name, student.Architecture, scheduleResolved);
        var record = OptionsBinder.Write(c);
        record["initialSteps"] = c.S0;
        record["finalSteps"] = c.S1;
        if (initialFile is not null)
        {
            record["initialWeights"] = initialFile;
            record["initialWeightsSha256"] = initialInfo!["weightsSha256"];
        }
        resolved[section] = record;
        var fingerprint = Trainer.Fingerprint(resolved);
        // N(k) is a function of k / K: a resumed run must keep K. The weights' path may differ; their hash may not.
        fingerprint["curriculumSteps"] = s.Steps;
        (fingerprint[section] as JObject)?.Remove("initialWeights");
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
        int batch = batches.Batch;
        using var levels = new CurriculumGrids(schedule, c, device);
        using var evaluationGrid = new ConsistencyGrid(schedule, s.ConsistencySteps, device);
        var studentF = ConsistencyTrainer.Denoiser(student.Network, trainable.Name);
        var targetF = target.Network is { } tn ? ConsistencyTrainer.Denoiser(tn, trainable.Name) : studentF;
        var exported = averaged.Network ?? student.Network;
        var exportSave = averaged.Save ?? student.Save;
        int Boundaries(int k) => c.Method == ConsistencyMethod.Training
            ? ConsistencyCurriculum.Training(k, s.Steps, c.S0, c.S1) : ConsistencyCurriculum.Improved(k, s.Steps, c.S0, c.S1);
        log?.Invoke($"{trainable.Name}: consistency {methodName}, {student.Network.parameters().Sum(p => p.numel())} parameters " +
                    $"{(initialFile is null ? "at random" : "from " + initialFile)}, {batches.Count} training examples, batch {batch}, " +
                    $"N(k) {Boundaries(0)} -> {Boundaries(s.Steps - 1)}, steps {start}..{s.Steps} on {device}");

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

                int boundaries = Boundaries(step);
                var level = levels.For(boundaries);   // outside the step's scope: its tables live for the run
                using (var scope = NewDisposeScope())
                {
                    var (images, batchLabels) = batches.Take(step);
                    var labels = LabelDropout.Apply(batchLabels, s.LabelDropout);
                    double rate = Trainer.LearningRate(s, step);
                    optimizer.LearningRate = rate;
                    var n = c.Method == ConsistencyMethod.Training
                        ? randint(0, boundaries - 1, [batch], int64, device)
                        : LognormalNoiseIndex.Sample(level.Probabilities, batch, device);
                    var z = randn_like(images);
                    var loss = Loss(level.Grid, s.ConsistencyDistance, studentF, targetF, images, labels, n, z,
                        c.Method == ConsistencyMethod.Improved ? level.Weights : null).mean();
                    optimizer.ZeroGrad();
                    loss.backward();
                    if (s.GradientClip > 0) optimizer.ClipGradientNorm(s.GradientClip);
                    optimizer.Step();
                    // Algorithm 3: theta- <- stopgrad(mu(k) theta- + (1 - mu(k)) theta); improved: theta- is theta itself.
                    targetAverage?.Update(ConsistencyCurriculum.TargetDecay(boundaries, c.S0, c.InitialTargetDecay));
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
            foreach (var m in all) m?.Dispose();
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
            double error = SelfConsistency(evaluationGrid, s.Seed, ConsistencyTrainer.Denoiser(exported, trainable.Name), heldImages, heldLabels);
            var last = levels.For(Boundaries(Math.Max(0, done - 1))).Grid;
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
                    ["method"] = methodName, ["sigmaMin"] = last.SigmaMin, ["sigmaData"] = ConsistencyParametrization.SigmaData,
                    ["boundaries"] = new JArray(last.Times),
                },
                ["versions"] = Outputs.RunWriter.Versions(),
            };
            exportSave(checkpoint, average is not null, training.ToString(Formatting.None));
            log?.Invoke($"step {done}: saved {Path.GetFileName(checkpoint)} (self-consistency {error:0.000000})");
            return new Dictionary<string, double> { ["selfConsistency"] = error };
        }
    }

    const string InitialPath = "$." + ConsistencySettings.Section + ".initialWeights";

    /// <summary>Where errors about consistency.initialWeights point.</summary>
    static JToken InitialToken(JObject doc) => doc[ConsistencySettings.Section]?["initialWeights"] ?? doc;

    /// <summary>
    /// The pair of Algorithm 3 for clean x, pair indices n [B] in 0 .. N - 2 and ONE noise z: x at t_(n+1) and at t_n,
    /// alpha x + sigma z at both, so that in the EDM variables x~ = x + s z they differ by (s_(n+1) - s_n) z.
    /// </summary>
    public static (Tensor Upper, Tensor Lower) Pair(ConsistencyGrid grid, Tensor images, Tensor n, Tensor z) =>
        (grid.Noisy(images, n.Plus(SafeTensorOps.One), z), grid.Noisy(images, n, z));

    /// <summary>lambda(n) d(f_theta(x_(n+1), t_(n+1)), stopgrad f_theta-(x_n, t_n)) per sample; weights [N - 1] or null for lambda = 1.</summary>
    public static Tensor Loss(ConsistencyGrid grid, ConsistencyDistance distance, nn.Module<Tensor, Tensor, Tensor, Tensor> student,
        nn.Module<Tensor, Tensor, Tensor, Tensor> target, Tensor images, Tensor labels, Tensor n, Tensor z, Tensor? weights)
    {
        var (upper, lower) = Pair(grid, images, n, z);
        Tensor reference;
        using (no_grad())
            reference = grid.Function(target, lower, n, labels);
        var prediction = grid.Function(student, upper, n.Plus(SafeTensorOps.One), labels);
        var d = ConsistencyGrid.Distance(distance, prediction, reference);
        return weights is null ? d : d.mul(weights.index_select(0, n));
    }

    /// <summary>
    /// The self-consistency error on held-out digits without a teacher: the mean squared difference per value between f at
    /// the two points of one z, n cycling through the grid, noise from a fixed seed so checkpoints compare.
    /// </summary>
    internal static double SelfConsistency(ConsistencyGrid grid, long seed, nn.Module<Tensor, Tensor, Tensor, Tensor> network, Tensor images, Tensor labels, int count = 256)
    {
        var module = (nn.Module)network;
        bool training = module.training;
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            long b = Math.Min(count, images.shape[0]);
            using var generator = new Generator((ulong)StepSeeds.Of(seed, StepSeeds.Evaluation, 0), CPU);
            var x = images.narrow(0, 0, b);
            var y = labels.narrow(0, 0, b);
            var z = randn(x.shape, generator: generator).to(x.device);
            using Scalar first = 0L, end = b, by = 1L, pairs = grid.Count - 1L;
            var n = arange(first, end, by, int64).remainder(pairs).to(x.device);
            var (upper, lower) = Pair(grid, x, n, z);
            var d = ConsistencyGrid.Distance(ConsistencyDistance.L2, grid.Function(network, upper, n.Plus(SafeTensorOps.One), y), grid.Function(network, lower, n, y));
            return d.mean().item<float>();
        }
        finally
        {
            module.train(training);
        }
    }

    /// <summary>The grids of the curriculum's N values, built once each, with their lognormal index and weights.</summary>
    sealed class CurriculumGrids(INoiseSchedule schedule, ConsistencySettings c, Device device) : IDisposable
    {
        readonly Dictionary<int, Level> built = [];

        public Level For(int boundaries)
        {
            if (built.TryGetValue(boundaries, out var level)) return level;
            var grid = new ConsistencyGrid(schedule, boundaries, device);
            var sigmas = grid.Times.Select(t => schedule.Sigma(t) / schedule.Alpha(t)).ToArray();
            var probabilities = c.Method == ConsistencyMethod.Improved ? LognormalNoiseIndex.Probabilities(sigmas, c.NoiseMean, c.NoiseStd) : [];
            var weights = tensor(LognormalNoiseIndex.Weights(sigmas).Select(w => (float)w).ToArray(), device: device);
            return built[boundaries] = new Level(grid, probabilities, weights);
        }

        public void Dispose()
        {
            foreach (var level in built.Values)
            {
                level.Grid.Dispose();
                level.Weights.Dispose();
            }
        }
    }

    sealed record Level(ConsistencyGrid Grid, double[] Probabilities, Tensor Weights);
}
