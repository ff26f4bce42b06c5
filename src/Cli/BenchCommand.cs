using System.Globalization;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;

namespace Pipeline.Host.Cli;

/// <summary>
/// `bench`: runs a definition several times (after one warm-up) and reports the time per step, split into
/// time inside the model and everything else (solver arithmetic, noise, bookkeeping). On CUDA each model
/// evaluation is synchronised so the split is exact. Given a comparison file instead, it benches every
/// solver configuration in it at each of --steps. Writes nothing.
/// </summary>
public static class BenchCommand
{
    public sealed record Timing(string Label, int Steps, int Nfe, double StepMs, double ModelMs)
    {
        public double OtherMs => StepMs - ModelMs;
    }

    public static int Run(PipelineHost host, PipelineDefinition definition, int repeat, IReadOnlyList<int> steps, TextWriter stdout)
    {
        var timings = new List<Timing>();
        if (definition.Document["pipeline"] is { } pipelineToken)
        {
            var pipeline = pipelineToken.Type == JTokenType.String
                ? PipelineDefinition.Load(Path.GetFullPath((string)pipelineToken!, definition.BaseDirectory))
                : new PipelineDefinition((JObject)pipelineToken, definition.BaseDirectory, definition.Name);
            foreach (var entry in (JArray)definition.Document["solvers"]!)
                foreach (var n in steps)
                {
                    var doc = (JObject)pipeline.Document.DeepClone();
                    doc["solver"] = entry["solver"]!.DeepClone();
                    if (entry["timeSteps"] is JObject ts) doc["timeSteps"] = ts.DeepClone();
                    doc["timeSteps"]!["steps"] = n;
                    doc.Remove("metrics");
                    var label = (string?)entry["label"] ?? (string)doc["solver"]!["type"]!;
                    timings.Add(Measure(host, new PipelineDefinition(doc, pipeline.BaseDirectory, pipeline.Name), label, repeat));
                }
        }
        else timings.Add(Measure(host, definition, definition.Name, repeat));

        stdout.WriteLine($"per-step wall time, mean of {repeat} runs after a warm-up (ms); 'other' is everything outside the model");
        stdout.WriteLine();
        stdout.WriteLine("| solver | steps | NFE | step | model | other | other share |");
        stdout.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in timings)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Label} | {t.Steps} | {t.Nfe} | {t.StepMs:0.000} | {t.ModelMs:0.000} | {t.OtherMs:0.000} | {t.OtherMs / t.StepMs * 100:0.0}% |"));
        return Program.Ok;
    }

    static Timing Measure(PipelineHost host, PipelineDefinition definition, string label, int repeat)
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
        return new Timing($"{label} ({pipeline.Environment.Device}, {pipeline.Count} samples)", steps, pipeline.ExpectedEvaluations,
            total / repeat / steps * 1e3, model / repeat / steps * 1e3);
    }
}
