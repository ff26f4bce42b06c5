using Newtonsoft.Json.Linq;
using Pipeline.Host.Comparison;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.Options;

namespace Pipeline.Host.Cli;

/// <summary>
/// `compare`: runs a list of solver configurations at a list of NFE budgets on one pipeline and writes
/// compare.md, compare.csv and compare.png (log-log error against NFE) into the output folder.
/// </summary>
/// <remarks>
/// The comparison file: { "name", "pipeline": "file.json" or { ...definition }, "metric": { "type": ... }
/// (default exact-ode-error), "nfe": [5, 10, 20, 50], "solvers": [ { "label", "solver": {...},
/// "timeSteps": {...} (optional; steps is set per budget), "guidance": [...] and "optimizers": [...] (optional;
/// replace the pipeline's lists), "nfe": [...] (optional; replaces the comparison's budgets for the entry) } or { "baseline": "training-free", "nfe": [...] } (every training-free ODE solver
/// with every standard time-step schedule at exactly those NFE, <see cref="TrainingFreeBaselines"/>) ], "directory", "overwrite" }.
/// </remarks>
public static class CompareCommand
{
    static readonly string[] Keys = ["name", "pipeline", "metric", "solvers", "nfe", "directory", "overwrite", "$schema"];

    public static int Run(PipelineHost host, string file, string? output, bool overwrite, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var comparison = PipelineDefinition.Load(file); // parses JSON with line information
        var doc = comparison.Document;
        foreach (var p in doc.Properties())
            if (!Keys.Contains(p.Name))
                throw DefinitionError.At(p, $"unknown key '{p.Name}' in a comparison.{NameSuggester.Hint(p.Name, Keys)} (keys: {string.Join(", ", Keys)})");
        var settings = OptionsBinder.Bind<ComparisonSettings>(new JObject(doc.Properties().Where(p => p.Name is "nfe" or "directory" or "overwrite")), "comparison");
        var pipeline = PipelineDefinition.Referenced(doc["pipeline"], comparison, "a comparison");
        var metric = doc["metric"] as JObject ?? new JObject { ["type"] = "exact-ode-error" };
        var entries = Entries(doc);

        var location = OutputLocation.Resolve(output, doc["directory"], "$.directory", comparison.BaseDirectory, Path.Combine("runs", comparison.Name + "-compare"));
        var target = location.Target;
        bool replace = overwrite || settings.Overwrite;
        location.Check(replace);

        var rows = ComparisonRunner.Run(host, pipeline, entries, settings.Nfe, metric,
            r => stderr.WriteLine(r.Problem is null
                ? $"{r.Label} @ NFE {r.Budget}: {string.Join(", ", r.Scores.Select(kv => $"{kv.Key} {kv.Value:0.000e+0}"))} (NFE {r.Nfe}, {r.Steps} steps, {r.Seconds:0.00}s)"
                : $"{r.Label} @ NFE {r.Budget}: n/a: {r.Problem}"),
            cancellation);

        string metricName = $"{(string?)metric["type"]} {rows.FirstOrDefault(r => r.Scores.Count > 0)?.Scores.Keys.First() ?? ""}".Trim();
        var markdown = ComparisonReport.Markdown(rows, metricName);
        using (var folder = OutputFolder.Begin(location, replace, "compare", stderr.WriteLine))
        {
            File.WriteAllText(folder.PathOf("compare.md"), $"# {comparison.Name}\n\n{markdown}");
            File.WriteAllText(folder.PathOf("compare.csv"), ComparisonReport.Csv(rows));
            ComparisonReport.Plot(rows, metricName, comparison.Name, folder.PathOf("compare.png"));
            File.WriteAllText(folder.PathOf("comparison.json"), doc.ToString());
            folder.Commit();
        }
        stdout.WriteLine(markdown);
        stdout.WriteLine($"wrote {target}");
        return Program.Ok;
    }

    static List<ComparisonEntry> Entries(JObject doc)
    {
        if (doc["solvers"] is not JArray list || list.Count == 0)
            throw DefinitionError.At(doc["solvers"] ?? doc, "a comparison needs \"solvers\": a non-empty list of { \"label\", \"solver\", \"timeSteps\"? }", "$.solvers");
        var entries = new List<ComparisonEntry>();
        foreach (var item in list)
        {
            if (item is not JObject o) throw DefinitionError.At(item, "each entry of \"solvers\" is an object");
            if (TrainingFreeBaselines.IsSet(o))
            {
                entries.AddRange(TrainingFreeBaselines.Expand(o));
                continue;
            }
            foreach (var p in o.Properties())
                if (p.Name is not ("label" or "solver" or "timeSteps" or "guidance" or "optimizers" or "nfe"))
                    throw DefinitionError.At(p, $"unknown key '{p.Name}' in a comparison entry (keys: label, solver, timeSteps, guidance, optimizers, nfe; or baseline, nfe)");
            var solver = o["solver"] as JObject ?? throw DefinitionError.At(o, "the entry needs \"solver\": { \"type\": ... }");
            var label = (string?)o["label"] ?? (string?)solver["type"] ?? "solver";
            foreach (var key in new[] { "guidance", "optimizers" })
                if (o[key] is { } l && l is not JArray)
                    throw DefinitionError.At(l, $"\"{key}\" in a comparison entry is a list that replaces the pipeline's {key}");
            entries.Add(new ComparisonEntry(label, solver, o["timeSteps"] as JObject, o, o["guidance"] as JArray, o["optimizers"] as JArray,
                TrainingFreeBaselines.Budgets(o)));
        }
        return entries;
    }
}
