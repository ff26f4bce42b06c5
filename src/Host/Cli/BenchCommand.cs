using Pipeline.Host.Definitions;
using Pipeline.Host.Running;

namespace Pipeline.Host.Cli;

/// <summary>
/// `bench`: runs a definition several times (after one warm-up) and reports the time per step, split into
/// time inside the model and everything else (solver arithmetic, noise, bookkeeping). On CUDA each model
/// evaluation is synchronised so the split is exact. Writes nothing.
/// </summary>
public static class BenchCommand
{
    public static int Run(PipelineHost host, PipelineDefinition definition, int repeat, TextWriter stdout, TextWriter stderr)
    {
        using var pipeline = host.Compose(definition);
        int steps = pipeline.Times.Count - 1;
        using (host.Sample(pipeline, recordTrajectory: false)) { } // warm-up
        double total = 0, model = 0;
        for (int r = 0; r < repeat; r++)
        {
            using var result = host.Sample(pipeline, recordTrajectory: false, synchronize: true);
            total += result.StepSeconds.Sum() * result.Batches; // steps only: initial noise and copies excluded
            model += result.ModelTime.TotalSeconds;
        }
        double perStep = total / repeat / steps * 1e3, modelPerStep = model / repeat / steps * 1e3;
        stdout.WriteLine($"{definition.Name}: solver {pipeline.Resolved["solver"]!["type"]}, {steps} steps, NFE {pipeline.ExpectedEvaluations}, " +
                         $"{pipeline.Count} samples, batch {pipeline.BatchSize}, device {pipeline.Environment.Device}, {repeat} runs");
        stdout.WriteLine($"  per step: {perStep:0.000} ms total, {modelPerStep:0.000} ms model, {perStep - modelPerStep:0.000} ms other ({(perStep - modelPerStep) / perStep * 100:0.0}% outside the model)");
        return Program.Ok;
    }
}
