using System.Globalization;
using System.Text;

namespace Pipeline.Host.Comparison;

/// <summary>The comparison as a Markdown table (configurations x budgets), a CSV (one line per run) and a log-log plot.</summary>
public static class ComparisonReport
{
    /// <summary>The lowest-scoring baseline row at each budget (lower is better), among the rows of a baseline set.</summary>
    public static Dictionary<int, ComparisonRow> BestBaselines(IReadOnlyList<ComparisonRow> rows) =>
        rows.Where(r => r.Baseline && r.Headline is double h && double.IsFinite(h))
            .GroupBy(r => r.Budget)
            .ToDictionary(g => g.Key, g => g.MinBy(r => r.Headline!.Value)!);

    /// <summary>How much lower <paramref name="row"/> scores than the best baseline at its budget, in % of the baseline (negative: worse).</summary>
    public static double? Gain(ComparisonRow row, IReadOnlyDictionary<int, ComparisonRow> best) =>
        row.Headline is double h && best.TryGetValue(row.Budget, out var b) && b.Headline is double bh && bh != 0
            ? 100.0 * (bh - h) / bh
            : null;

    static string Percent(double gain) => (gain >= 0 ? "+" : "") + gain.ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Markdown(IReadOnlyList<ComparisonRow> rows, string metricName)
    {
        var budgets = rows.Select(r => r.Budget).Distinct().Order().ToList();
        var best = BestBaselines(rows);
        var sb = new StringBuilder();
        var header = $"{metricName} by NFE budget (actual NFE in brackets where it differs; wall time of the run in seconds below)";
        if (best.Count > 0)
            header += "; the best training-free baseline at each NFE in bold, and each other row's gain against it in brackets (+: lower)";
        sb.AppendLine(header);
        sb.AppendLine();
        sb.AppendLine("| solver | " + string.Join(" | ", budgets.Select(b => $"NFE {b}")) + " |");
        sb.AppendLine("| --- |" + string.Concat(budgets.Select(_ => " ---: |")));
        foreach (var label in rows.Select(r => r.Label).Distinct())
        {
            var cells = budgets.Select(b =>
            {
                var r = rows.FirstOrDefault(x => x.Label == label && x.Budget == b);
                if (r is null) return "";
                if (r.Headline is not double h) return "n/a";
                var nfe = r.Nfe != r.Budget ? $" ({r.Nfe})" : "";
                var value = h.ToString("0.000e+0", CultureInfo.InvariantCulture);
                if (best.TryGetValue(b, out var top) && ReferenceEquals(top, r)) value = $"**{value}**";
                var gain = !r.Baseline && Gain(r, best) is double g ? $" ({Percent(g)})" : "";
                return $"{value}{nfe}{gain}<br>{r.Seconds.ToString("0.00", CultureInfo.InvariantCulture)}s";
            });
            sb.AppendLine($"| {label} | " + string.Join(" | ", cells) + " |");
        }
        if (best.Count > 0)
            sb.AppendLine("| best training-free baseline | " + string.Join(" | ", budgets.Select(b => best.TryGetValue(b, out var r)
                ? $"{r.Headline!.Value.ToString("0.000e+0", CultureInfo.InvariantCulture)}<br>{r.Label}" : "")) + " |");
        var problems = rows.Where(r => r.Problem is not null).ToList();
        if (problems.Count > 0)
        {
            sb.AppendLine();
            foreach (var p in problems) sb.AppendLine($"- n/a: {p.Label} at NFE {p.Budget}: {p.Problem}");
        }
        return sb.ToString();
    }

    /// <summary>One line per run; with a baseline set, two more columns: whether the row is a baseline, and its gain in % against the best one.</summary>
    public static string Csv(IReadOnlyList<ComparisonRow> rows)
    {
        var scoreNames = rows.SelectMany(r => r.Scores.Keys).Distinct().ToList();
        bool baselines = rows.Any(r => r.Baseline);
        var best = BestBaselines(rows);
        var sb = new StringBuilder();
        string[] extra = baselines ? ["baseline", "gain-vs-best-baseline-percent"] : [];
        sb.AppendLine(string.Join(",", ["solver", "budget", "nfe", "steps", .. scoreNames, "seconds", "problem", .. extra]));
        foreach (var r in rows)
        {
            var scores = scoreNames.Select(n => r.Scores.TryGetValue(n, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            string[] marks = baselines
                ? [r.Baseline ? "true" : "false", Gain(r, best) is double g ? g.ToString("0.###", CultureInfo.InvariantCulture) : ""]
                : [];
            sb.AppendLine(string.Join(",", [Quote(r.Label), r.Budget.ToString(CultureInfo.InvariantCulture), r.Nfe.ToString(CultureInfo.InvariantCulture),
                r.Steps.ToString(CultureInfo.InvariantCulture), .. scores, r.Seconds.ToString("0.######", CultureInfo.InvariantCulture), Quote(r.Problem ?? ""), .. marks]));
        }
        return sb.ToString();
    }

    /// <summary>Ticks at 1, 2 and 5 times powers of ten, placed at their log10 (the plot's coordinates).</summary>
    static ScottPlot.TickGenerators.NumericManual LogTicks(double min, double max)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int k = (int)Math.Floor(Math.Log10(min)) - 1; k <= (int)Math.Ceiling(Math.Log10(max)); k++)
            foreach (var m in new[] { 1.0, 2.0, 5.0 })
            {
                double v = m * Math.Pow(10, k);
                if (v >= min / 1.5 && v <= max * 1.5)
                    ticks.AddMajor(Math.Log10(v), v.ToString("g3", CultureInfo.InvariantCulture));
            }
        return ticks;
    }

    static string Quote(string s) => s.Contains(',') || s.Contains('"') || s.Contains('\n') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Log-log plot of the headline score against the actual NFE, one line per configuration, as a 900 x 600 PNG.</summary>
    public static void Plot(IReadOnlyList<ComparisonRow> rows, string metricName, string title, string path) =>
        Figure(rows, metricName, title).SavePng(path, 900, 600);

    /// <summary>The plot of <see cref="Plot"/>, its text in the shipped font (<see cref="Outputs.PlotFont"/>).</summary>
    public static ScottPlot.Plot Figure(IReadOnlyList<ComparisonRow> rows, string metricName, string title)
    {
        var plot = new ScottPlot.Plot();
        foreach (var label in rows.Select(r => r.Label).Distinct())
        {
            var points = rows.Where(r => r.Label == label && r.Headline is > 0).OrderBy(r => r.Nfe).ToList();
            if (points.Count == 0) continue;
            var line = plot.Add.Scatter(points.Select(p => Math.Log10(p.Nfe)).ToArray(), points.Select(p => Math.Log10(p.Headline!.Value)).ToArray());
            line.LegendText = label;
            line.MarkerSize = 6;
        }
        var nfes = rows.Where(r => r.Headline is > 0).Select(r => (double)r.Nfe).Distinct().ToList();
        var errors = rows.Where(r => r.Headline is > 0).Select(r => r.Headline!.Value).ToList();
        if (nfes.Count > 0) plot.Axes.Bottom.TickGenerator = LogTicks(nfes.Min(), nfes.Max());
        if (errors.Count > 0) plot.Axes.Left.TickGenerator = LogTicks(errors.Min(), errors.Max());
        plot.XLabel("NFE (log scale)");
        plot.YLabel($"{metricName} (log scale)");
        plot.Title(title);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        Outputs.PlotFont.Apply(plot);
        return plot;
    }
}
