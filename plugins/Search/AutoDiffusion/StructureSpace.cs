using Pipeline.Models;
using Pipeline.Solvers;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>
/// AutoDiffusion's second search space (Li et al. 2023, sec. 3.2): per step, a mask of the model's skippable blocks,
/// with the candidate's cost counted against a budget. A step's cost is its model evaluations times the share of a
/// full evaluation left after its skipped blocks (the model's <see cref="SkippableBlock.Cost"/>), so a candidate that
/// skips blocks may take more steps for the same budget.
/// </summary>
public sealed class StructureSpace(IReadOnlyList<SkippableBlock> blocks, ISolver solver, double budget)
{
    public IReadOnlyList<SkippableBlock> Blocks => blocks;

    /// <summary>The budget, in full evaluations per sample.</summary>
    public double Budget => budget;

    // Costs are compared to the budget with this slack, so that a candidate priced at exactly the budget fits.
    const double Slack = 1e-9;

    /// <summary>
    /// Model evaluations of each step: the solver's evaluations on the first n + 1 steps minus those on the first n
    /// (one per step for DDIM and the multistep solvers, two for a Heun step).
    /// </summary>
    public int[] EvaluationsPerStep(IReadOnlyList<double> times)
    {
        var counts = new int[times.Count - 1];
        int before = 0;
        for (int n = 0; n < counts.Length; n++)
        {
            int upTo = solver.Evaluations(times.Take(n + 2).ToArray());
            counts[n] = Math.Max(0, upTo - before);
            before = upTo;
        }
        return counts;
    }

    /// <summary>Share of a full evaluation a mask costs: 1 minus the costs of its skipped blocks.</summary>
    public double MaskCost(IReadOnlyList<bool> skip) => 1.0 - Enumerable.Range(0, blocks.Count).Where(i => skip[i]).Sum(i => blocks[i].Cost);

    /// <summary>The candidate's cost in full evaluations per sample: the sum over steps of evaluations times mask cost.</summary>
    public double Cost(IReadOnlyList<double> times, IReadOnlyList<bool[]> skip)
    {
        var evaluations = EvaluationsPerStep(times);
        return Enumerable.Range(0, evaluations.Length).Sum(n => evaluations[n] * MaskCost(skip[n]));
    }

    public bool Fits(IReadOnlyList<double> times, IReadOnlyList<bool[]> skip) => Cost(times, skip) <= budget + Slack;

    /// <summary>The least a schedule of these times can cost (every block skipped at every step).</summary>
    public double MinimumCost(IReadOnlyList<double> times) =>
        EvaluationsPerStep(times).Sum() * (1.0 - blocks.Sum(b => b.Cost));

    /// <summary>No block skipped at any of <paramref name="steps"/> steps.</summary>
    public bool[][] Full(int steps) => Enumerable.Range(0, steps).Select(_ => new bool[blocks.Count]).ToArray();

    /// <summary>An initial mask: each block skipped with <paramref name="probability"/> at each step.</summary>
    public bool[][] Random(int steps, double probability, SearchRandom random) =>
        Enumerable.Range(0, steps).Select(_ => Enumerable.Range(0, blocks.Count).Select(_ => random.Chance(probability)).ToArray()).ToArray();

    /// <summary>Crossover: each step's mask from one of the two parents by a fair coin (the paper's crossover over layers).</summary>
    public static bool[][] Crossover(IReadOnlyList<bool[]> a, IReadOnlyList<bool[]> b, SearchRandom random) =>
        Enumerable.Range(0, a.Count).Select(n => (random.Chance(0.5) ? a[n] : b[n]).ToArray()).ToArray();

    /// <summary>Mutation: each entry flips with <paramref name="probability"/>; at least one always does, so the child is new.</summary>
    public bool[][] Mutate(IReadOnlyList<bool[]> parent, double probability, SearchRandom random)
    {
        var child = parent.Select(m => m.ToArray()).ToArray();
        int entries = child.Length * blocks.Count;
        if (entries == 0) return child;
        bool any = false;
        for (int n = 0; n < child.Length; n++)
            for (int i = 0; i < blocks.Count; i++)
                if (random.Chance(probability)) { child[n][i] = !child[n][i]; any = true; }
        if (!any)
        {
            int k = random.Next(entries);
            child[k / blocks.Count][k % blocks.Count] ^= true;
        }
        return child;
    }

    /// <summary>
    /// A mask within the budget: while the candidate costs more, one more block (chosen at random among those still
    /// run, at a random step) is skipped. Null when even skipping every block does not fit.
    /// </summary>
    public bool[][]? Repair(IReadOnlyList<double> times, bool[][] skip, SearchRandom random)
    {
        if (MinimumCost(times) > budget + Slack) return null;
        var mask = skip.Select(m => m.ToArray()).ToArray();
        while (!Fits(times, mask))
        {
            var open = new List<(int Step, int Block)>();
            for (int n = 0; n < mask.Length; n++)
                for (int i = 0; i < blocks.Count; i++)
                    if (!mask[n][i]) open.Add((n, i));
            if (open.Count == 0) return null;
            var (step, block) = open[random.Next(open.Count)];
            mask[step][block] = true;
        }
        return mask;
    }

    /// <summary>The names of the blocks skipped at each step.</summary>
    public string[][] Names(IReadOnlyList<bool[]> skip) =>
        skip.Select(m => Enumerable.Range(0, blocks.Count).Where(i => m[i]).Select(i => blocks[i].Name).ToArray()).ToArray();
}
