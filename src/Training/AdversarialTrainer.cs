using System.Diagnostics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Runtime;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Training;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// Trains a Denoising Diffusion GAN (Xiao, Kreis and Vahdat 2022, section 3.3 and Algorithm 1): for a uniform step j of
/// the T-step chain (<see cref="DdganChain"/>) the discriminator D(x_j, x_(j+1), j) learns to tell the real pair drawn
/// from q from the pair whose x_j is drawn from the posterior q(x_j | x_(j+1), x_0') around the generator's
/// x_0' = G(x_(j+1), z, j), with the non-saturating loss softplus(-D(real)) + softplus(D(fake)) and, every r1Every
/// steps, the R1 penalty gamma/2 ||grad D(real)||^2 on the real x_j (lazy regularisation as the paper trains); the
/// generator then minimises softplus(-D(fake)) on a fresh draw. Adam with betas (0.5, 0.9) by default and the paper's
/// learning-rate ratio between the networks, an exponential moving average of the generator, labels replaced by the
/// null label with probability labelDropout (for classifier-free guidance). Checkpoints, resume to identical weights,
/// Ctrl-C, time limit and the NaN stop work as for the other networks (<see cref="Trainer"/>).
/// </summary>
public static class AdversarialTrainer
{
    /// <summary>
    /// The role of a network module with two children: "generator" (forward(x_(j+1), z [B, Z], step j, labels) = x_0') and
    /// "discriminator" (forward(x_j, x_(j+1), step j, labels) = logits [B]); its architecture JSON has latentSize and trainingSteps.
    /// </summary>
    public const string Role = TrainingRoles.Ddgan;

    static readonly string[] Columns = ["discriminatorLoss", "r1Penalty", "realLogit", "fakeLogit"];

    public static TrainingResult Run(PipelineHost host, TrainingDefinition definition, ITrainableNetwork trainable, ITrainingDataset dataset,
        TrainingRunOptions run, Action<TrainingProgress>? progress, Action<string>? log, CancellationToken cancellation)
    {
        var s = definition.Settings;
        var doc = definition.Document;
        var location = definition.OutputLocation(run.Output);
        location.CheckResumable(TrainingState.FileName);
        var device = DeviceSelector.Resolve(s.Device, "$.device");
        var environment = new RunEnvironment(device, ScalarType.Float32, definition.BaseDirectory);
        var (schedule, scheduleResolved) = Trainer.ComposeSchedule(host.Catalog, definition.NoiseSchedule, environment);

        random.manual_seed(StepSeeds.Of(s.Seed, StepSeeds.Initialisation, 0));
        var (pair, architecture, save) = Trainer.Create(trainable, definition);
        Trainer.CheckTrainingSteps(architecture, schedule, doc);
        int latentSize = JObject.Parse(architecture)["latentSize"] is JValue { Type: JTokenType.Integer } z ? (int)z
            : throw new InvalidOperationException($"network '{trainable.Name}' has role {Role} but its architecture has no latentSize");
        var (averagedPair, _, averagedSave) = Trainer.Create(trainable, definition);
        pair.to(device);
        averagedPair.to(device);
        var (generator, discriminator) = Parts(pair, trainable.Name);
        var (averagedGenerator, averagedDiscriminator) = Parts(averagedPair, trainable.Name);
        var average = new ExponentialMovingAverage((nn.Module)generator, (nn.Module)averagedGenerator, s.EmaDecay);
        average.Reset();
        averagedPair.eval();

        double beta1 = s.AdamBeta1 ?? 0.5, beta2 = s.AdamBeta2 ?? 0.9;
        double discriminatorRate = s.DiscriminatorLearningRate ?? s.LearningRate * 1.25 / 1.6;
        using var optimizerG = new ExplicitAdamW(((nn.Module)generator).parameters(), s.LearningRate, beta1, beta2, 1e-8, s.WeightDecay);
        using var optimizerD = new ExplicitAdamW(((nn.Module)discriminator).parameters(), discriminatorRate, beta1, beta2, 1e-8, s.WeightDecay);

        var resolved = Trainer.Resolved(definition, trainable.Name, architecture, scheduleResolved);
        var fingerprint = Trainer.Fingerprint(resolved);
        // The data first: a data set that cannot be read leaves no output folder behind.
        var (trainImages, trainLabels, heldImages, heldLabels) = Trainer.LoadData(dataset, s, definition, doc, device);
        using var _images = trainImages;
        using var _labels = trainLabels;
        heldImages.Dispose();
        heldLabels.Dispose();
        var output = location.Target;
        Directory.CreateDirectory(output);
        if (!Outputs.OutputManifest.IsIn(output)) Outputs.OutputManifest.Write(output, "train");
        var statePath = Path.Combine(output, TrainingState.FileName);
        var checkpoint = Path.Combine(output, trainable.Name + ".ckpt");
        var trainingLog = new TrainingLog(Path.Combine(output, "log.csv"), Columns);
        if (run.Restart) File.Delete(statePath);
        nn.Module?[] modules = [pair, averagedGenerator as nn.Module];
        ExplicitAdamW[] optimizers = [optimizerG, optimizerD];

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
        using var chain = new DdganChain(schedule, device);
        log?.Invoke($"{trainable.Name}: generator {Count(generator)} and discriminator {Count(discriminator)} parameters, {n} training examples, batch {batch}, " +
                    $"{chain.Steps}-step chain, steps {start}..{s.Steps} on {device}");

        var session = Stopwatch.StartNew();
        using var sums = zeros(5, float32, device);
        int count = 0, lastSaved = start, step = start;
        double? lastLoss = null;
        string stopped = "completed";
        pair.train();
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
                    optimizerG.LearningRate = rate;
                    optimizerD.LearningRate = rate * discriminatorRate / s.LearningRate;

                    // Discriminator step (Algorithm 1): real pair from q, fake x_j from the posterior around G's x_0'.
                    var (j, previous, next) = chain.Pair(images);
                    previous.requires_grad_(true);
                    var steps = j.to_type(float32);
                    var realLogit = discriminator.forward(previous, next, steps, labels);
                    var loss = realLogit.neg().Softplus().mean();
                    var penalty = zeros(1, float32, device);
                    if (s.R1Gamma > 0 && step % s.R1Every == 0)
                    {
                        var gradient = autograd.grad([realLogit.sum()], [previous], retain_graph: true, create_graph: true)[0];
                        using Scalar halfGamma = s.R1Gamma / 2;
                        penalty = gradient.flatten(1).Squared().sum(1).mean().mul(halfGamma).unsqueeze(0);
                    }
                    Tensor fake;
                    using (no_grad())
                        fake = chain.Posterior(generator.forward(next, randn(batch, latentSize, device: device), steps, labels), next, j, randn_like(next));
                    var fakeLogit = discriminator.forward(fake, next, steps, labels);
                    var lossD = loss.Plus(fakeLogit.Softplus().mean()).Plus(penalty.squeeze(0));
                    optimizerD.ZeroGrad();
                    lossD.backward();
                    if (s.GradientClip > 0) optimizerD.ClipGradientNorm(s.GradientClip);
                    optimizerD.Step();

                    // Generator step on a fresh draw: the non-saturating loss softplus(-D(fake)).
                    var (jG, _, nextG) = chain.Pair(images);
                    var stepsG = jG.to_type(float32);
                    var fakeG = chain.Posterior(generator.forward(nextG, randn(batch, latentSize, device: device), stepsG, labels), nextG, jG, randn_like(nextG));
                    var lossG = discriminator.forward(fakeG, nextG, stepsG, labels).neg().Softplus().mean();
                    optimizerG.ZeroGrad();
                    lossG.backward();
                    if (s.GradientClip > 0) optimizerG.ClipGradientNorm(s.GradientClip);
                    optimizerG.Step();
                    average.Update(step);

                    sums.Plus_(stack([lossG.detach(), lossD.detach(), penalty.detach().squeeze(0), realLogit.detach().mean(), fakeLogit.detach().mean()]));
                    count++;

                    int done = step + 1;
                    if (done % s.LogEvery == 0 || done == s.Steps)
                    {
                        var means = sums.cpu().data<float>().Select(v => (double)v / count).ToArray();
                        sums.zero_();
                        count = 0;
                        if (means.Any(v => !double.IsFinite(v)))
                            throw new PipelineInputException($"the GAN losses became non-finite by step {done} (generator {means[0]}, discriminator {means[1]}); lower learningRate or raise r1Gamma (the last good state is at step {lastSaved})", "$.learningRate");
                        lastLoss = means[0];
                        trainingLog.Append(done, means[0], rate, elapsedBefore + session.Elapsed.TotalSeconds, means[1..]);
                        progress?.Invoke(new TrainingProgress(done, s.Steps, start, means[0], rate, session.Elapsed));
                    }
                }
                if (step + 1 < s.Steps && (step + 1) % s.CheckpointEvery == 0)
                {
                    Save(step + 1);
                    lastSaved = step + 1;
                }
            }
            if (step != lastSaved || !File.Exists(checkpoint))
            {
                Save(step);
                lastSaved = step;
            }
        }
        finally
        {
            pair.Dispose();
            averagedPair.Dispose();
        }
        log?.Invoke($"{stopped} at step {step} of {s.Steps}; checkpoint {checkpoint}");
        return new TrainingResult(output, checkpoint, step, s.Steps, start, stopped, lastLoss, new Dictionary<string, double>(),
            session.Elapsed, TimeSpan.FromSeconds(elapsedBefore + session.Elapsed.TotalSeconds));

        void Save(int done)
        {
            double elapsed = elapsedBefore + session.Elapsed.TotalSeconds;
            TrainingState.Write(statePath, new JObject
            {
                ["step"] = done, ["elapsedSeconds"] = elapsed, ["network"] = trainable.Name, ["fingerprint"] = fingerprint,
            }, modules, optimizers);
            // The checkpoint holds the averaged generator and the current discriminator.
            using (no_grad())
                foreach (var (a, b) in ((nn.Module)averagedDiscriminator).parameters().Zip(((nn.Module)discriminator).parameters()))
                    a.copy_(b);
            var training = new JObject
            {
                ["definition"] = resolved,
                ["step"] = done,
                ["seed"] = s.Seed,
                ["device"] = device.ToString(),
                ["elapsedSeconds"] = Math.Round(elapsed, 1),
                ["loss"] = lastLoss,
                ["alphasCumprod"] = new JArray(chain.AlphasCumprod),
                ["versions"] = Outputs.RunWriter.Versions(),
            };
            averagedSave(checkpoint, s.EmaDecay > 0, training.ToString(Formatting.None));
            log?.Invoke($"step {done}: saved {Path.GetFileName(checkpoint)}");
        }
    }

    static (nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor> Generator, nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor> Discriminator) Parts(nn.Module pair, string name)
    {
        var children = pair.named_children().ToDictionary(c => c.name, c => c.module);
        if (children.GetValueOrDefault("generator") is not nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor> g
            || children.GetValueOrDefault("discriminator") is not nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor> d)
            throw new InvalidOperationException($"network '{name}' has role {Role} but lacks a 'generator' or 'discriminator' child of four inputs");
        return (g, d);
    }

    static long Count(object module) => ((nn.Module)module).parameters().Sum(p => p.numel());

}
