namespace Pipeline.Plugins.Models;

/// <summary>Checks of mixture parameters, shared by <see cref="GaussianMixture"/> and the <c>gmm</c> options.</summary>
static class MixtureValidation
{
    /// <summary>Each problem with the option (C# property name) it belongs to.</summary>
    public static IEnumerable<(string Member, string Message)> Problems(
        double[]? weights, double[][]? means, double[][]? stds, long[]? sampleShape)
    {
        if (weights is null || weights.Length == 0)
        {
            yield return ("Weights", "weights: give one positive weight per mixture component");
            yield break;
        }
        int k = weights.Length;
        for (int i = 0; i < k; i++)
            if (!(weights[i] > 0) || !double.IsFinite(weights[i]))
                yield return ("Weights", $"weights[{i}] = {weights[i]}: mixture weights must be positive and finite (they are normalised to sum 1)");
        // Each weight may be finite while their sum is not; normalising would then give NaN weights.
        if (weights.All(w => w > 0 && double.IsFinite(w)) && !double.IsFinite(weights.Sum()))
            yield return ("Weights", $"the weights sum to {weights.Sum()}; mixture weights are normalised by their sum, so give smaller ones (e.g. the probabilities themselves)");

        if (means is null || means.Length != k)
        {
            yield return ("Means", $"means has {means?.Length ?? 0} rows but weights has {k}; give one mean vector per component");
            yield break;
        }
        if (means[0] is null || means[0].Length == 0)
        {
            yield return ("Means", "means[0] is empty; each mean needs D values (the data dimension)");
            yield break;
        }
        int d = means[0].Length;
        for (int i = 0; i < k; i++)
        {
            if (means[i] is null || means[i].Length != d)
                yield return ("Means", $"means[{i}] has {means[i]?.Length ?? 0} values but means[0] has {d}; all means need the same dimension");
            else if (means[i].Any(m => !double.IsFinite(m)))
                yield return ("Means", $"means[{i}] contains a non-finite value");
        }

        if (stds is null || stds.Length != k)
            yield return ("Stds", $"stds has {stds?.Length ?? 0} rows but weights has {k}; give one std entry per component (1 value = isotropic, {d} values = diagonal)");
        else
            for (int i = 0; i < k; i++)
            {
                if (stds[i] is null || (stds[i].Length != 1 && stds[i].Length != d))
                    yield return ("Stds", $"stds[{i}] has {stds[i]?.Length ?? 0} values; give 1 (isotropic) or {d} (diagonal, one per dimension)");
                else
                    for (int j = 0; j < stds[i].Length; j++)
                        if (!(stds[i][j] > 0) || !double.IsFinite(stds[i][j]))
                            yield return ("Stds", $"stds[{i}][{j}] = {stds[i][j]}: standard deviations must be positive and finite");
            }

        if (sampleShape is not null)
        {
            if (sampleShape.Length == 0 || sampleShape.Any(s => s <= 0))
                yield return ("SampleShape", $"sampleShape [{string.Join(", ", sampleShape)}] must list positive sizes");
            else if (sampleShape.Aggregate(1L, (a, b) => a * b) != d)
                yield return ("SampleShape", $"sampleShape [{string.Join(", ", sampleShape)}] holds {sampleShape.Aggregate(1L, (a, b) => a * b)} values per sample but the means have dimension {d}");
        }
    }
}
