namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>
/// The variation operators of AutoDiffusion's evolutionary search (Li et al. 2023, sec. 3.3) on sorted interior
/// coordinates: random initial candidates, crossover of two parents, mutation of one. Each returns sorted,
/// pairwise distinct coordinates in (0, 1), or null when a draw collided; the caller draws again.
/// </summary>
public static class Evolution
{
    // Coordinates closer than this are one point in practice; the candidate would waste a model evaluation.
    const double MinimumGap = 1e-6;

    // Share of mutation moves that redraw a point anywhere (exploration); the others are local steps (refinement).
    const double RedrawShare = 0.25;

    /// <summary>An initial candidate: the interior points drawn uniformly in the search space.</summary>
    public static double[]? Random(int interior, SearchRandom random) =>
        Distinct(Enumerable.Range(0, interior).Select(_ => random.NextDouble()).ToArray());

    /// <summary>
    /// Crossover: each point of the child comes from one of the two parents at the same rank, chosen by a fair
    /// coin; the pooled points are re-sorted, so the child is again a schedule.
    /// </summary>
    public static double[]? Crossover(IReadOnlyList<double> a, IReadOnlyList<double> b, SearchRandom random) =>
        Distinct(Enumerable.Range(0, a.Count).Select(i => random.Chance(0.5) ? a[i] : b[i]).ToArray());

    /// <summary>
    /// Mutation: each point moves with <paramref name="probability"/> (at least one always does, so the child is
    /// new); a move is either a redraw anywhere (the paper's resampling of a time step) or, three times in four, a
    /// Gaussian step of <paramref name="scale"/> mean gaps reflected into (0, 1), which refines good parents.
    /// </summary>
    public static double[]? Mutate(IReadOnlyList<double> parent, double probability, double scale, SearchRandom random)
    {
        int n = parent.Count;
        var child = parent.ToArray();
        if (n == 0) return child;
        var moves = Enumerable.Range(0, n).Select(_ => random.Chance(probability)).ToArray();
        if (!moves.Any(m => m)) moves[random.Next(n)] = true;
        double gap = 1.0 / (n + 1);
        for (int i = 0; i < n; i++)
        {
            if (!moves[i]) continue;
            child[i] = random.Chance(RedrawShare) ? random.NextDouble() : Reflect(child[i] + scale * gap * random.Normal());
        }
        return Distinct(child);
    }

    /// <summary>Folds a coordinate back into [0, 1] by reflection at the ends.</summary>
    static double Reflect(double u)
    {
        u = Math.Abs(u) % 2.0;
        return u > 1.0 ? 2.0 - u : u;
    }

    static double[]? Distinct(double[] u)
    {
        Array.Sort(u);
        for (int i = 0; i < u.Length; i++)
        {
            if (!(u[i] >= MinimumGap && u[i] <= 1 - MinimumGap)) return null;
            if (i > 0 && u[i] - u[i - 1] < MinimumGap) return null;
        }
        return u;
    }
}
