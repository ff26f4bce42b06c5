using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Host.Running;
using Pipeline.Metrics;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Comparison;

/// <summary>Runs every configuration of a comparison at every NFE budget and scores it.</summary>
public static class ComparisonRunner
{
    public static List<ComparisonRow> Run(PipelineHost host, PipelineDefinition pipeline, IReadOnlyList<ComparisonEntry> entries,
        IReadOnlyList<int> budgets, JObject metric, Action<ComparisonRow>? done = null, CancellationToken cancellation = default)
    {
        var rows = new List<ComparisonRow>();
        // One metric instance scores every cell, so what it computes once per x_T (the exact flow of
        // exact-ode-error, the reference features of mnist-fid) is computed once for the whole comparison.
        var scorer = new SharedMetric(host, pipeline, metric);
        try
        {
            foreach (var entry in entries)
                foreach (var budget in entry.Budgets ?? budgets)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var row = RunOne(host, pipeline, entry, budget, scorer, cancellation);
                    rows.Add(row);
                    done?.Invoke(row);
                }
            return rows;
        }
        finally
        {
            scorer.Dispose();
        }
    }

    /// <summary>The comparison's metric, built with the first composed cell's environment and kept for all cells.</summary>
    sealed class SharedMetric(PipelineHost host, PipelineDefinition pipeline, JObject spec) : IDisposable
    {
        IMetric? metric;

        public Dictionary<string, double> Score(Composition.ComposedPipeline composed, RunResult result, CancellationToken cancellation)
        {
            metric ??= new Composition.PipelineComposer(host.CatalogFor(pipeline))
                .BuildPlugin<IMetric>(spec, PluginKinds.Metric, composed.Environment).Instance;
            using var labels = composed.Labels is { } l ? TorchSharp.torch.tensor(l) : null;
            return metric.Score(new MetricContext(result.Samples, result.Initial, composed.Denoiser, composed.Times, labels) { Cancellation = cancellation })
                .ToDictionary(kv => kv.Key, kv => kv.Value);
        }

        public void Dispose() => (metric as IDisposable)?.Dispose();
    }

    /// <summary>
    /// The largest step count whose model evaluations fit the budget, run and scored; for a baseline entry the
    /// largest that spends exactly the budget (a Heun step costs 2, PNDM's first steps 4), or none.
    /// </summary>
    static ComparisonRow RunOne(PipelineHost host, PipelineDefinition pipeline, ComparisonEntry entry, int budget, SharedMetric metric, CancellationToken cancellation)
    {
        string? problem = null;
        var reached = new SortedSet<int>();
        for (int steps = budget; steps >= 1; steps--)
        {
            var doc = (JObject)pipeline.Document.DeepClone();
            doc["solver"] = entry.Solver.DeepClone();
            if (entry.Guidance is not null) doc["guidance"] = entry.Guidance.DeepClone();
            if (entry.Optimizers is not null) doc["optimizers"] = entry.Optimizers.DeepClone();
            var timeSteps = (JObject)(entry.TimeSteps ?? (JObject)doc["timeSteps"]!).DeepClone();
            timeSteps["steps"] = steps;
            doc["timeSteps"] = timeSteps;
            doc.Remove("metrics");
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
                reached.Add(nfe);
                if (nfe > budget || entry.Baseline && nfe != budget) continue;
                using var result = host.Sample(composed, cancellation: cancellation);
                var scores = metric.Score(composed, result, cancellation);
                return new ComparisonRow(entry.Label, budget, result.Nfe, steps, scores, result.SamplingTime.TotalSeconds, null, entry.Baseline);
            }
        }
        string fallback = entry.Baseline && reached.Count > 0
            ? $"skipped: no step count spends exactly {budget} model evaluations (steps 1-{budget} spend {string.Join(", ", reached)})"
            : $"no step count fits {budget} model evaluations";
        return new ComparisonRow(entry.Label, budget, 0, 0, new Dictionary<string, double>(), 0, reached.Count > 0 ? fallback : problem ?? fallback, entry.Baseline);
    }
}
