using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Tests.Support;

/// <summary>
/// A real pipeline's parts with the run replaced by a fitness function of the times, so the search's choices can
/// be tested in milliseconds. Records every schedule it was asked to score.
/// </summary>
public sealed class ScriptedTarget(IOptimizationTarget inner, Func<IReadOnlyList<double>, double> fitness, IDiffusionModel? model = null) : IOptimizationTarget
{
    public List<double[]> Scored { get; } = [];

    public RunEnvironment Environment => inner.Environment;
    public IDiffusionModel Model => model ?? inner.Model;
    public INoiseSchedule Schedule => inner.Schedule;
    public ISolver Solver => inner.Solver;
    public IReadOnlyList<double> Times => inner.Times;
    public long[] SampleShape => inner.SampleShape;
    public int Count => inner.Count;
    public int BatchSize => inner.BatchSize;
    public torch.Tensor InitialNoise(int start, int count) => inner.InitialNoise(start, count);
    public torch.Tensor? Labels(int start, int count) => inner.Labels(start, count);
    public IDenoiser Denoiser(torch.Tensor? labels) => inner.Denoiser(labels);
    public INoiseSource Noise(int start, int count) => inner.Noise(start, count);

    public TargetScore Score(IReadOnlyList<double> times, ISolver? solver = null, CancellationToken cancellation = default)
    {
        Scored.Add(times.ToArray());
        double value = fitness(times); // may throw PipelineInputException like a refused run
        return new TargetScore(value, new Dictionary<string, double> { ["fitness"] = value }, times.Count - 1, 0);
    }
}
