using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Running;
using Pipeline.Options;

namespace Pipeline.Host.Comparison;

/// <summary>Runs every configuration of a comparison at every NFE budget and scores it.</summary>
public static class ComparisonRunner
{
    public static List<ComparisonRow> Run(PipelineHost host, PipelineDefinition pipeline, IReadOnlyList<ComparisonEntry> entries,
        IReadOnlyList<int> budgets, JObject metric, Action<ComparisonRow>? done = null, CancellationToken cancellation = default)
    {
        var rows = new List<ComparisonRow>();
        foreach (var entry in entries)
            foreach (var budget in budgets)
            {
                cancellation.ThrowIfCancellationRequested();
                var row = RunOne(host, pipeline, entry, budget, metric, cancellation);
                rows.Add(row);
                done?.Invoke(row);
            }
        return rows;
    }

    /// <summary>The largest step count whose model evaluations fit the budget, run and scored.</summary>
    static ComparisonRow RunOne(PipelineHost host, PipelineDefinition pipeline, ComparisonEntry entry, int budget, JObject metric, CancellationToken cancellation)
    {
        string? problem = null;
        for (int steps = budget; steps >= 1; steps--)
        {
            var doc = (JObject)pipeline.Document.DeepClone();
            doc["solver"] = entry.Solver.DeepClone();
            if (entry.Optimizers is not null) doc["optimizers"] = entry.Optimizers.DeepClone();
            var timeSteps = (JObject)(entry.TimeSteps ?? (JObject)doc["timeSteps"]!).DeepClone();
            timeSteps["steps"] = steps;
            doc["timeSteps"] = timeSteps;
            doc["metrics"] = new JArray(metric.DeepClone());
            doc.Remove("outputs");
            var definition = new PipelineDefinition(doc, pipeline.BaseDirectory, pipeline.Name, pipeline.SourceFile);
            Composition.ComposedPipeline composed;
            try
            {
                composed = host.Compose(definition);
            }
            catch (PipelineInputException e)
            {
                problem ??= e.Message;
                continue;
            }
            using (composed)
            {
                int nfe = composed.ExpectedEvaluations;
                if (nfe > budget) continue;
                using var result = host.Sample(composed, cancellation: cancellation);
                var scores = MetricScores.Score(composed, result).Properties().First().Value
                    .ToObject<Dictionary<string, double>>()!;
                return new ComparisonRow(entry.Label, budget, result.Nfe, steps, scores, result.SamplingTime.TotalSeconds, null);
            }
        }
        return new ComparisonRow(entry.Label, budget, 0, 0, new Dictionary<string, double>(), 0,
            problem ?? $"no step count fits {budget} model evaluations");
    }
}
