using Pipeline.Training;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Plugins;
using Pipeline.Host.Runtime;
using Pipeline.Options;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>How a training session treats its output folder.</summary>
/// <param name="Output">Output folder instead of the file's (relative to the current folder).</param>
/// <param name="Restart">Discard a saved state and start from step 0.</param>
public sealed record TrainingRunOptions(string? Output = null, bool Restart = false);

/// <summary>
/// Trains a plugin's network from a <see cref="TrainingDefinition"/>: AdamW with warm-up and an optional
/// cosine decay, gradient clipping, an exponential moving average of the weights, and every
/// checkpointEvery steps the resumable state (<see cref="TrainingState"/>) plus the network's checkpoint
/// (the plugin's format; the average when one is kept). A run with a state in its output folder continues
/// from it; Ctrl-C (the cancellation token) and maxMinutes stop after the current step and save first.
/// Step n's random draws are seeded from (seed, n) and epoch e's order from (seed, e), so a resumed run
/// takes the same steps as an uninterrupted one.
/// </summary>
public static class Trainer
{
    public static TrainingResult Run(PipelineHost host, TrainingDefinition definition, TrainingRunOptions? run = null,
        Action<TrainingProgress>? progress = null, Action<string>? log = null, CancellationToken cancellation = default)
    {
        run ??= new TrainingRunOptions();
        // Gradients of oneDNN's CPU convolutions can be NaN (CpuConvolutionBackend): training runs without them.
        using var convolutions = Pipeline.Native.CpuConvolutionBackend.ForTraining();
        var s = definition.Settings;
        var doc = definition.Document;
        var location = definition.OutputLocation(run.Output);
        location.CheckResumable(TrainingState.FileName);
        if (s.Threads is int threads) set_num_threads(threads);

        var plugins = TrainingPlugins.Find(host.Catalog);
        var trainable = plugins.Network(s.Network, doc["network"]);
        var dataset = plugins.Dataset(s.Dataset, doc["dataset"]);
        if (s.Teacher is not null && trainable.Role != ConsistencyTrainer.Role)
            throw DefinitionError.At(doc["teacher"], $"\"teacher\" is for consistency distillation (network mnist-consistency; progressive distillation names its teacher in \"progressiveDistillation\"); network '{trainable.Name}' trains without one", "$.teacher");
        if (trainable.Role == AdversarialTrainer.Role)
            return AdversarialTrainer.Run(host, definition, trainable, dataset, run, progress, log, cancellation);
        if (trainable.Role == ProgressiveDistillationTrainer.Role)
            return ProgressiveDistillationTrainer.Run(host, definition, trainable, dataset, run, progress, log, cancellation);
        if (trainable.Role == ConsistencyTrainer.Role)
            return ConsistencyTrainer.Run(host, definition, trainable, dataset, run, progress, log, cancellation);
        if (trainable.Role is not ("denoiser" or "time-classifier" or "classifier"))
            throw DefinitionError.At(doc["network"], $"network '{trainable.Name}' has role '{trainable.Role}', which this host cannot train (it trains denoiser, time-classifier, classifier, ddgan, progressive-distillation and consistency)");
        var device = DeviceSelector.Resolve(s.Device, "$.device");
        var environment = new RunEnvironment(device, ScalarType.Float32, definition.BaseDirectory);

        INoiseSchedule? schedule = null;
        JObject? scheduleResolved = null;
        if (trainable.Role != "classifier")
            (schedule, scheduleResolved) = ComposeSchedule(host.Catalog, definition.NoiseSchedule, environment);

        // Initialisation depends on the seed only; a resumed run then overwrites the weights.
        random.manual_seed(StepSeeds.Of(s.Seed, StepSeeds.Initialisation, 0));
        var (network, architecture, save) = Create(trainable, definition);
        CheckTrainingSteps(architecture, schedule, doc);
        (nn.Module Network, string Architecture, Action<string, bool, string?> Save)? averaged = s.EmaDecay > 0 ? Create(trainable, definition) : null;

        network.to(device);
        averaged?.Network.to(device);
        // Parameters are taken after the move: moving may replace the tensors.
        var average = averaged is { } a ? new ExponentialMovingAverage(network, a.Network, s.EmaDecay) : null;
        average?.Reset();
        average?.Average.eval();
        using var optimizer = new ExplicitAdamW(network.parameters(), s.LearningRate, s.AdamBeta1 ?? 0.9, s.AdamBeta2 ?? 0.999, 1e-8, s.WeightDecay);

        var resolved = Resolved(definition, trainable.Name, architecture, scheduleResolved);
        var fingerprint = Fingerprint(resolved);
        // The data first: a data set that cannot be read leaves no output folder behind.
        var (trainImages, trainLabels, heldImages, heldLabels) = LoadData(dataset, s, definition, doc, device);
        using var _images = trainImages;
        using var _labels = trainLabels;
        using var _heldImages = heldImages;
        using var _heldLabels = heldLabels;
        var output = location.Target;
        Directory.CreateDirectory(output);
        // Marks the folder as this program's, so a later --overwrite elsewhere may replace it and a resume may continue in it.
        if (!Outputs.OutputManifest.IsIn(output)) Outputs.OutputManifest.Write(output, "train");
        var statePath = Path.Combine(output, TrainingState.FileName);
        var checkpoint = Path.Combine(output, trainable.Name + ".ckpt");
        var trainingLog = new TrainingLog(Path.Combine(output, "log.csv"));
        if (run.Restart) File.Delete(statePath);

        int start = 0;
        double elapsedBefore = 0;
        if (File.Exists(statePath))
        {
            var header = TrainingState.ReadHeader(statePath);
            CheckSameRun(header["fingerprint"] as JObject, fingerprint, statePath);
            TrainingState.Read(statePath, network, average?.Average, optimizer);
            start = (int?)header["step"] ?? 0;
            elapsedBefore = (double?)header["elapsedSeconds"] ?? 0;
            log?.Invoke($"resuming {statePath} at step {start}");
        }
        trainingLog.Truncate(start);
        File.WriteAllText(Path.Combine(output, "training.resolved.json"), resolved.ToString(Formatting.Indented));

        using var batches = new TrainingBatches(trainImages, trainLabels, s.BatchSize, s.Seed);
        long n = batches.Count;
        int batch = batches.Batch;
        log?.Invoke($"{trainable.Name}: {network.parameters().Sum(p => p.numel())} parameters, {n} training examples, batch {batch}, " +
                    $"steps {start}..{s.Steps} on {device}");

        var objective = Objective(trainable.Role, s, schedule, device);
        var table = (objective as DenoisingObjective)?.Table ?? (objective as NoisyClassificationObjective)?.Table;
        var exported = average?.Average ?? network;
        var exportSave = averaged?.Save ?? save;

        var session = Stopwatch.StartNew();
        using var lossSum = zeros(1, float32, device);
        int lossCount = 0, lastSaved = start, step = start;
        double? lastLoss = null;
        string stopped = "completed";
        Dictionary<string, double> evaluation = [];
        network.train();
        try
        {
            for (; step < s.Steps; step++)
            {
                if (cancellation.IsCancellationRequested) { stopped = "cancelled"; break; }
                if (s.MaxMinutes is double limit && session.Elapsed.TotalMinutes >= limit) { stopped = "time limit"; break; }

                using (var scope = NewDisposeScope())
                {
                    var (images, batchLabels) = batches.Take(step);
                    var labels = batchLabels;

                    double rate = LearningRate(s, step);
                    optimizer.LearningRate = rate;
                    optimizer.ZeroGrad();
                    var loss = objective.Loss(network, images, labels);
                    loss.backward();
                    if (s.GradientClip > 0) optimizer.ClipGradientNorm(s.GradientClip);
                    optimizer.Step();
                    average?.Update(step);
                    lossSum.Plus_(loss.detach());
                    lossCount++;

                    int done = step + 1;
                    if (done % s.LogEvery == 0 || done == s.Steps)
                    {
                        // The only device read of a step, once per logEvery steps.
                        double mean = lossSum.item<float>() / lossCount;
                        lossSum.zero_();
                        lossCount = 0;
                        if (!double.IsFinite(mean))
                            throw new PipelineInputException($"the training loss became {mean} by step {done}; lower learningRate or raise warmupSteps (the last good state is at step {lastSaved})", "$.learningRate");
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
            (objective as IDisposable)?.Dispose();
            network.Dispose();
            averaged?.Network.Dispose();
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
            }, network, average?.Average, optimizer);
            var scores = TrainingEvaluation.Evaluate(trainable.Role, exported, heldImages, heldLabels, table, s.Seed);
            var training = new JObject
            {
                ["definition"] = resolved,
                ["step"] = done,
                ["seed"] = s.Seed,
                ["device"] = device.ToString(),
                ["elapsedSeconds"] = Math.Round(elapsed, 1),
                ["loss"] = lastLoss,
                ["evaluation"] = new JObject(scores.Select(kv => new JProperty(kv.Key, kv.Value))),
                ["versions"] = Outputs.RunWriter.Versions(),
            };
            exportSave(checkpoint, average is not null, training.ToString(Formatting.None));
            log?.Invoke($"step {done}: saved {Path.GetFileName(checkpoint)}{(scores.Count > 0 ? " (" + string.Join(", ", scores.Select(kv => $"{kv.Key} {kv.Value:0.0000}")) + ")" : "")}");
            return scores;
        }
    }

    public static double LearningRate(TrainingSettings s, int step)
    {
        if (step < s.WarmupSteps) return s.LearningRate * (step + 1) / s.WarmupSteps;
        if (s.LearningRateSchedule == LearningRateSchedule.Constant) return s.LearningRate;
        double progress = (double)(step - s.WarmupSteps) / Math.Max(1, s.Steps - s.WarmupSteps);
        return s.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    internal static (nn.Module, string, Action<string, bool, string?>) Create(ITrainableNetwork trainable, TrainingDefinition definition)
    {
        try
        {
            var built = trainable.Create(definition.Architecture?.ToString(Formatting.None));
            return (built.Network, built.Architecture, built.Save);
        }
        catch (PipelineInputException e)
        {
            var at = definition.Architecture;
            string key = e.Path is { } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "";
            var token = key.Length > 0 ? (JToken?)at?.Property(key) ?? at : at ?? (JToken)definition.Document;
            throw DefinitionError.At(token, e.Message, key.Length > 0 ? "$.architecture." + key : "$.architecture");
        }
    }

    /// <summary>A network that takes the training-step index must have been built for the schedule's N.</summary>
    internal static void CheckTrainingSteps(string architecture, INoiseSchedule? schedule, JObject doc)
    {
        if (schedule?.TrainingSteps is not int n) return;
        if (JObject.Parse(architecture)["trainingSteps"] is JValue { Type: JTokenType.Integer } v && (int)v != n)
            throw DefinitionError.At(doc["architecture"] ?? doc, $"the architecture's trainingSteps is {(int)v} but the noise schedule has {n} steps; make them agree");
    }

    internal static (INoiseSchedule, JObject) ComposeSchedule(PluginCatalog catalog, JObject spec, RunEnvironment environment)
    {
        var typeToken = spec["type"];
        if (typeToken is not JValue { Type: JTokenType.String })
            throw DefinitionError.At(typeToken ?? spec, "noiseSchedule needs a \"type\" naming a noise-schedule plugin (run 'list noise-schedule')", "$.noiseSchedule.type");
        var entry = catalog.Find(PluginKinds.NoiseSchedule, (string)typeToken!, typeToken);
        var options = OptionsBinder.Bind(entry.Options, spec, $"noise-schedule '{entry.Name}'", "type");
        var services = new ServiceCollection().AddSingleton(environment).BuildServiceProvider();
        INoiseSchedule schedule;
        try
        {
            schedule = (INoiseSchedule)ActivatorUtilities.CreateInstance(services, entry.Implementation, options);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is PipelineInputException inner)
        {
            throw inner.Path is not null ? inner : DefinitionError.At(spec, inner.Message);
        }
        var written = new JObject { ["type"] = entry.Name };
        foreach (var p in OptionsBinder.Write(options).Properties()) written.Add(p);
        if (schedule.TrainingSteps is null)
            throw DefinitionError.At(spec, $"noise schedule '{entry.Name}' is continuous; networks trained here take the training-step index as time, so use a discrete schedule such as {{ \"type\": \"discrete\" }}");
        return (schedule, written);
    }

    static ITrainingObjective Objective(string role, TrainingSettings s, INoiseSchedule? schedule, Device device) => role switch
    {
        "denoiser" => new DenoisingObjective(schedule!, s.LabelDropout, device),
        "time-classifier" => new NoisyClassificationObjective(schedule!, s.Shift, s.Rotation, device),
        _ => new ClassificationObjective(s.Shift, s.Rotation),
    };

    internal static (Tensor, Tensor, Tensor, Tensor) LoadData(ITrainingDataset dataset, TrainingSettings s, TrainingDefinition definition, JObject doc, Device device)
    {
        string? folder = s.Data is null ? null : Path.GetFullPath(s.Data, definition.BaseDirectory);
        Tensor trainImages, trainLabels, heldImages, heldLabels;
        try
        {
            (trainImages, trainLabels, heldImages, heldLabels) = dataset.Load(folder, definition.BaseDirectory);
        }
        catch (PipelineInputException e) when (e.Path is null)
        {
            throw DefinitionError.At(doc["data"] ?? doc, e.Message, "$.data");
        }
        if (s.Subset is int subset && subset < trainImages.shape[0])
        {
            var (x, y) = (trainImages.narrow(0, 0, subset).clone(), trainLabels.narrow(0, 0, subset).clone());
            trainImages.Dispose();
            trainLabels.Dispose();
            (trainImages, trainLabels) = (x, y);
        }
        if (trainImages.shape[0] == 0)
            throw DefinitionError.At(doc["data"] ?? doc, "the data set has no training examples");
        return (Moved(trainImages, device), Moved(trainLabels, device), Moved(heldImages, device), Moved(heldLabels, device));
    }

    static Tensor Moved(Tensor t, Device device)
    {
        if (t.device == device) return t;
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }

    internal static JObject Resolved(TrainingDefinition definition, string network, string architecture, JObject? schedule)
    {
        var settings = OptionsBinder.Write(definition.Settings);
        settings["network"] = network;
        var resolved = new JObject { ["name"] = definition.Name };
        foreach (var p in settings.Properties()) resolved.Add(p.Name, p.Value);
        resolved["architecture"] = JObject.Parse(architecture);
        if (schedule is not null) resolved["noiseSchedule"] = schedule;
        return resolved;
    }

    /// <summary>What must not change when a run is resumed: everything except <see cref="TrainingSettings.Resumable"/> and the name.</summary>
    internal static JObject Fingerprint(JObject resolved)
    {
        var copy = (JObject)resolved.DeepClone();
        copy.Remove("name");
        foreach (var key in TrainingSettings.Resumable) copy.Remove(key);
        return copy;
    }

    internal static void CheckSameRun(JObject? saved, JObject now, string statePath)
    {
        if (saved is not null && JToken.DeepEquals(saved, now)) return;
        var differing = saved is null ? ["(no record)"]
            : saved.Properties().Select(p => p.Name).Union(now.Properties().Select(p => p.Name))
                .Where(k => !JToken.DeepEquals(saved[k], now[k])).ToList();
        throw new PipelineInputException(
            $"the output folder holds a run with other settings ({string.Join(", ", differing)} differ) in '{statePath}'; " +
            "run with --overwrite to start over there, choose another output folder, or restore the settings to resume");
    }
}
