namespace Pipeline.Host.Comparison;

/// <summary>One cell of the comparison: a configuration at a budget, with its scores or why it could not run.</summary>
public sealed record ComparisonRow(string Label, int Budget, int Nfe, int Steps, IReadOnlyDictionary<string, double> Scores, double Seconds, string? Problem,
    bool Baseline = false)
{
    public double? Headline => Scores.Count > 0 ? Scores.First().Value : null;
}
