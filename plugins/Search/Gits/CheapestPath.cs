namespace Pipeline.Plugins.Search.Gits;

/// <summary>
/// GITS's time schedule (Chen et al. 2024, "On the Trajectory Regularity of ODE-based Diffusion Sampling", sec. 4):
/// on a fine grid 0..M, the path from 0 to M with exactly K jumps whose summed jump costs are least, by dynamic
/// programming: D_k(j) = min_{i &lt; j} D_{k-1}(i) + c(i, j), D_0(0) = 0, the answer D_K(M); O(K M^2).
/// </summary>
public static class CheapestPath
{
    /// <summary>
    /// The grid indices 0 = p_0 &lt; p_1 &lt; ... &lt; p_K = M of the cheapest path and its cost; <paramref name="cost"/>[i, j]
    /// is the cost of one jump from i to j (only i &lt; j is read; a non-finite cost forbids the jump).
    /// </summary>
    public static (int[] Path, double Cost) Find(double[,] cost, int jumps)
    {
        int m = cost.GetLength(0) - 1;
        if (cost.GetLength(1) != m + 1) throw new ArgumentException("the cost matrix must be square", nameof(cost));
        if (jumps < 1 || jumps > m) throw new ArgumentOutOfRangeException(nameof(jumps), $"{jumps} jumps on a grid of {m} intervals");
        var best = new double[jumps + 1, m + 1];
        var from = new int[jumps + 1, m + 1];
        for (int k = 0; k <= jumps; k++)
            for (int j = 0; j <= m; j++) best[k, j] = double.PositiveInfinity;
        best[0, 0] = 0;
        for (int k = 1; k <= jumps; k++)
            // After k jumps the path is at k or beyond, and must leave jumps - k more for the rest of the grid.
            for (int j = k; j <= m - (jumps - k); j++)
                for (int i = k - 1; i < j; i++)
                {
                    double c = best[k - 1, i] + cost[i, j];
                    if (double.IsFinite(cost[i, j]) && c < best[k, j])
                    {
                        best[k, j] = c;
                        from[k, j] = i;
                    }
                }
        if (!double.IsFinite(best[jumps, m]))
            throw new ArgumentException($"no path of {jumps} finite-cost jumps reaches the end of the grid", nameof(cost));
        var path = new int[jumps + 1];
        path[jumps] = m;
        for (int k = jumps; k >= 1; k--) path[k - 1] = from[k, path[k]];
        return (path, best[jumps, m]);
    }
}
