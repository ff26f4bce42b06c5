using Pipeline.Host.Composition;
using Pipeline.Host.Running;
using Pipeline.Host.Runtime;
using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Host.Optimization;

/// <summary>
/// A composed pipeline as an offline optimizer sees it: its parts, its samples' noise and labels exactly as a
/// run draws them, and <see cref="Score"/>, which runs it with other times or another solver and scores the
/// samples with the optimization's metric (the pipeline's first metric). With the pipeline's plugin catalog it also
/// builds other solvers for the optimizer (<see cref="CreateSolver"/>).
/// </summary>
public sealed class OptimizationTarget(ComposedPipeline pipeline, Plugins.PluginCatalog? catalog = null) : IOptimizationTarget
{
    public ComposedPipeline Pipeline => pipeline;
    public RunEnvironment Environment => pipeline.Environment;
    public IDiffusionModel Model => pipeline.Model;
    public INoiseSchedule Schedule => pipeline.Schedule;
    public ISolver Solver => pipeline.Solver;
    public IReadOnlyList<double> Times => pipeline.Times;
    public long[] SampleShape => pipeline.SampleShape;
    public int Count => pipeline.Count;
    public int BatchSize => pipeline.BatchSize;

    public torch.Tensor InitialNoise(int start, int count)
    {
        using var noise = (PerSampleNoise)Noise(start, count);
        return InitialState.Of(pipeline, noise, start, count, Times[0]);
    }

    public torch.Tensor? Labels(int start, int count)
    {
        CheckRange(start, count);
        return pipeline.Labels is { } l ? torch.tensor(l[start..(start + count)], device: Environment.Device) : null;
    }

    public IDenoiser Denoiser(torch.Tensor? labels) => new RunDenoiser(pipeline.Denoiser, new Conditioning(labels));

    /// <summary>A fresh stream per call: its first draws are the samples' x_T, as in a run.</summary>
    public INoiseSource Noise(int start, int count)
    {
        CheckRange(start, count);
        return new PerSampleNoise(pipeline.Seeds[start..(start + count)], Environment.Device, Environment.DType);
    }

    public TargetScore Score(IReadOnlyList<double> times, ISolver? solver = null, CancellationToken cancellation = default)
    {
        if (pipeline.Metrics.Count == 0)
            throw new PipelineInputException("this optimization scores runs but has no metric; add \"metric\": { \"type\": ... } to the optimization file (e.g. exact-ode-error for gmm, mnist-fid for mnist-unet)", "$.metric");
        CheckTimes(times);
        solver ??= pipeline.Solver;
        var problems = solver.Check(Schedule, times).ToList();
        if (problems.Count > 0)
            throw new PipelineInputException($"the solver cannot run at these times: {string.Join("; ", problems)}", "$.pipeline.solver");
        using var result = PipelineRunner.Run(pipeline, cancellation: cancellation, times: times, solver: solver);
        var first = MetricScores.Score(pipeline, result, times).Properties().First().Value;
        var scores = first.ToObject<Dictionary<string, double>>()!;
        return new TargetScore(scores.Values.First(), scores, result.Nfe, result.SamplingTime.TotalSeconds);
    }

    public ISolver CreateSolver(System.Text.Json.Nodes.JsonObject definition, string path)
    {
        if (catalog is null)
            throw new PipelineInputException("this optimization target has no plugin catalog to build solvers from", path);
        var spec = Newtonsoft.Json.Linq.JObject.Parse(definition.ToJsonString());
        try
        {
            var solver = new PipelineComposer(catalog).BuildPlugin<ISolver>(spec, global::Pipeline.Plugins.PluginKinds.Solver, Environment).Instance;
            var problems = solver.CheckModel(Model, Schedule).Concat(solver.CheckSamples(SampleShape)).ToList();
            if (problems.Count > 0) throw new PipelineInputException($"{definition["type"]}: {string.Join("; ", problems)}");
            return solver;
        }
        catch (PipelineInputException e)
        {
            throw new PipelineInputException($"{path}: {e.Message}", path, e);
        }
    }

    void CheckTimes(IReadOnlyList<double> times)
    {
        if (Composition.TimeGrid.Problem(times, Schedule) is { } problem) throw new PipelineInputException(problem);
    }

    void CheckRange(int start, int count)
    {
        if (start < 0 || count < 1 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"samples [{start}, {start + count}) are outside the pipeline's {Count}");
    }
}
