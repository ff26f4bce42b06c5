using System.Diagnostics;
using Pipeline.Host.Composition;
using Pipeline.Host.Runtime;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Host.Running;

/// <summary>Runs a composed pipeline batch by batch and gathers the samples on the CPU.</summary>
public static class PipelineRunner
{
    /// <param name="synchronize">Wait for the device after each model evaluation so model time is exact (benchmarks).</param>
    /// <param name="times">Times to run at instead of the pipeline's (offline optimizers try candidates this way).</param>
    /// <param name="solver">A solver to run instead of the pipeline's.</param>
    /// <param name="range">The samples to run (a shard); null = all. It starts at a batch boundary, so its batches are
    /// those of the whole run.</param>
    public static RunResult Run(ComposedPipeline pipeline, bool recordTrajectory = false,
        Action<RunProgress>? progress = null, CancellationToken cancellation = default, bool synchronize = false,
        IReadOnlyList<double>? times = null, ISolver? solver = null, SampleRange? range = null)
    {
        var env = pipeline.Environment;
        times ??= pipeline.Times;
        solver ??= pipeline.Solver;
        var samplesToRun = range ?? new SampleRange(0, pipeline.Count);
        int first = samplesToRun.Start, end = samplesToRun.End, batchSize = pipeline.BatchSize;
        int batches = (samplesToRun.Count + batchSize - 1) / batchSize;
        int steps = times.Count - 1;
        long totalEvaluations = (long)solver.Evaluations(times) * batches;
        var samples = new List<torch.Tensor>();
        var trajectories = new List<torch.Tensor>();
        var initials = new List<torch.Tensor>();
        var stepSeconds = new double[steps];
        var clock = Stopwatch.StartNew();
        long evaluations = 0;
        int nfe = 0;
        var modelTime = TimeSpan.Zero;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                int start = first + b * batchSize, size = Math.Min(batchSize, end - start);
                using var scope = torch.NewDisposeScope();
                using var noise = new PerSampleNoise(pipeline.Seeds[start..(start + size)], env.Device, env.DType);
                var x = InitialState.Of(pipeline, noise, start, size, times[0]);
                initials.Add(x.to(torch.CPU).clone().DetachFromDisposeScope());
                var labels = pipeline.Labels is { } l ? torch.tensor(l[start..(start + size)], device: env.Device) : null;
                using var denoiser = new RunDenoiser(pipeline.Denoiser, new Conditioning(labels)) { Synchronize = synchronize };
                var recorder = recordTrajectory ? new TrajectoryRecorder(x) : null;
                long before = evaluations;
                var observer = new StepObserver(denoiser, recorder, stepSeconds, info =>
                    progress?.Invoke(new RunProgress(b, batches, info.Step + 1, steps, before + denoiser.Evaluations, totalEvaluations, clock.Elapsed)));

                var result = solver.Sample(new SamplingContext
                {
                    Model = denoiser, Times = times, Initial = x, Noise = noise,
                    Observer = observer, Cancellation = cancellation,
                });

                if (denoiser.FirstNonFinite() is { } bad)
                    throw new PipelineInputException(
                        $"the model output was not finite (NaN or infinity) at step {bad.Step + 1} of {steps}, t = {bad.T:G6} (evaluation {bad.Evaluation}, batch {b + 1} of {batches}). " +
                        "Check the model file and its prediction type and time input, lower guidance scales, or use float32/float64 instead of half precision.", "$.model");
                var cpu = result.to(torch.CPU).detach();
                if (!torch.isfinite(cpu).all().item<bool>())
                    throw new PipelineInputException($"the solver produced non-finite samples in batch {b + 1} of {batches} although the model output was finite; try more steps or a lower order", "$.solver");
                samples.Add(cpu.DetachFromDisposeScope());
                if (recorder is not null) trajectories.Add(recorder.Stack().DetachFromDisposeScope());
                evaluations += denoiser.Evaluations;
                nfe = Math.Max(nfe, denoiser.Evaluations);
                modelTime += denoiser.ModelTime;
            }
            // A cancel during the last step's progress report would otherwise go unseen by the solver.
            cancellation.ThrowIfCancellationRequested();
            for (int i = 0; i < steps; i++) stepSeconds[i] /= batches;
            return new RunResult
            {
                Samples = torch.cat(samples, 0),
                Initial = torch.cat(initials, 0),
                Trajectory = trajectories.Count > 0 ? torch.cat(trajectories, 1) : null,
                Nfe = nfe, Evaluations = evaluations, SamplingTime = clock.Elapsed, ModelTime = modelTime,
                StepSeconds = stepSeconds, Batches = batches,
            };
        }
        finally
        {
            foreach (var t in samples) t.Dispose();
            foreach (var t in trajectories) t.Dispose();
            foreach (var t in initials) t.Dispose();
        }
    }

    /// <summary>Keeps the denoiser's step index current, times steps, records the trajectory, reports progress.</summary>
    sealed class StepObserver(RunDenoiser denoiser, TrajectoryRecorder? recorder, double[] stepSeconds, Action<StepInfo> report)
        : ISamplingObserver
    {
        readonly Stopwatch watch = Stopwatch.StartNew();

        public void OnStep(in StepInfo step)
        {
            stepSeconds[step.Step] += watch.Elapsed.TotalSeconds;
            recorder?.Add(step.X);
            denoiser.CurrentStep = step.Step + 1;
            report(step);
            watch.Restart();
        }
    }

    /// <summary>Copies the state after each step to the CPU.</summary>
    sealed class TrajectoryRecorder
    {
        readonly List<torch.Tensor> states = [];

        public TrajectoryRecorder(torch.Tensor initial) => Add(initial);

        public void Add(torch.Tensor x) => states.Add(x.detach().to(torch.CPU).clone().DetachFromDisposeScope());

        public torch.Tensor Stack()
        {
            var stacked = torch.stack(states);
            foreach (var s in states) s.Dispose();
            return stacked;
        }
    }
}
