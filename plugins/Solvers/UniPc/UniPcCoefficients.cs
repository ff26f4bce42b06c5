using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers;

/// <summary>
/// The numbers of one UniPC step from s = t_{i-1} to t = t_i, computed on the host before the loop. With m_k the model
/// outputs of the history (m_0 at s, m_1 one step earlier, ...) and m_t the output at the predicted x_t:
/// <code>
/// predictor  x_t  = XWeight x_s + sum_k Predictor[k] m_k
/// corrector  x_t^c = XWeight x_s + sum_k Corrector[k] m_k + CorrectorNew m_t
/// </code>
/// </summary>
internal sealed record UniPcStep(int Order, bool Corrects, double XWeight, double[] Predictor, double[] Corrector, double CorrectorNew);

/// <summary>
/// UniPC (Zhao et al. 2023), sec. 3: the unified predictor UniP-p and corrector UniC-p share one form. Writing
/// hh = -h for the data prediction (DPM-Solver++ base) and hh = h for the noise prediction (DPM-Solver base),
/// c = alpha_t (data) or sigma_t (noise), and r_k = (lambda_{t_{i-1-k}} - lambda_s) / h for the k-th earlier time,
/// <code>
/// x_t = [sigma_t / sigma_s | alpha_t / alpha_s] x_s - c (e^hh - 1) m_0 - c B(hh) sum_k a_k D_k,   D_k = (m_k - m_0) / r_k,
/// </code>
/// where UniP-p sums over the p - 1 earlier outputs and UniC-p adds D_p = m_t - m_0 with r_p = 1. The coefficients a
/// solve the order conditions
/// <code>
/// sum_k a_k r_k^(q-1) = q! hh phi_{q+1}(hh) / B(hh),   q = 1 .. (number of a's),
/// </code>
/// B(hh) = hh ('bh1') or e^hh - 1 ('bh2'). A single coefficient takes the conditions' limit h -> 0, a = 1/2, as the
/// authors' code does (UniP-2 and UniC-1); there the two B(h) give different steps, while square systems make
/// B(h) a_k independent of B.
/// </summary>
internal static class UniPcCoefficients
{
    /// <summary>Below this many steps the default lowers the order over the last steps (the DPM-Solver++ rule in diffusers).</summary>
    public const int LowerOrderFinalBelow = 15;

    /// <summary>The step plans for a run over <paramref name="points"/> (steps + 1 times).</summary>
    public static UniPcStep[] Plan(UniPcOptions options, IReadOnlyList<TimePoint> points)
    {
        int steps = points.Count - 1;
        bool lowerFinal = options.LowerOrderFinal ?? steps < LowerOrderFinalBelow;
        var plan = new UniPcStep[steps];
        for (int i = 0; i < steps; i++)
        {
            // Warm-up: step i has the outputs at t_0 .. t_i, so at most order i + 1 (the authors' lower-order start).
            int order = Math.Min(options.Order, i + 1);
            if (lowerFinal) order = Math.Min(order, steps - i);
            // The corrector needs the model at the step's end, which the next step then reuses: never on the last step.
            bool corrects = options.Corrector && i < steps - 1;
            var history = Enumerable.Range(0, order).Select(k => points[i - k]).ToArray();
            plan[i] = points[i + 1].T == 0
                ? new UniPcStep(1, false, 0, [], [], 0)   // into clean data: the x_0 prediction, see UniPc
                : Step(options, history, points[i + 1], order, corrects);
        }
        return plan;
    }

    /// <param name="history">The times of m_0 .. m_{p-1}: history[0] is s, then earlier times.</param>
    static UniPcStep Step(UniPcOptions options, TimePoint[] history, TimePoint t, int order, bool corrects)
    {
        var s = history[0];
        bool data = options.Prediction == UniPcPrediction.Data;
        double h = t.Lambda - s.Lambda;
        double hh = data ? -h : h;
        double c = data ? t.Alpha : t.Sigma;
        double b = options.Variant == UniPcVariant.Bh1 ? hh : Numerics.ExpM1(hh);

        // The first-order step: DPM-Solver++-1 (data) or DPM-Solver-1 (noise), i.e. DDIM.
        double xWeight = data ? t.Sigma / s.Sigma : Math.Exp(t.LogAlpha - s.LogAlpha);
        double baseWeight = -c * Numerics.ExpM1(hh);

        var r = new double[order];
        for (int k = 1; k < order; k++) r[k] = (history[k].Lambda - s.Lambda) / h;

        // UniP-p over the p - 1 earlier outputs.
        var aPredictor = OrderConditions(r[1..], hh, b);
        var predictor = Weights(baseWeight, c * b, r, aPredictor);

        if (!corrects) return new UniPcStep(order, false, xWeight, predictor, [], 0);

        // UniC-p adds the new output with r_p = 1.
        var aCorrector = OrderConditions([.. r[1..], 1.0], hh, b);
        double aNew = aCorrector[^1];
        var corrector = Weights(baseWeight + c * b * aNew, c * b, r, aCorrector[..^1]);
        return new UniPcStep(order, true, xWeight, predictor, corrector, -c * b * aNew);
    }

    /// <summary>
    /// Weights on m_0 .. m_{p-1} of base m_0 - cb sum_k a_k (m_k - m_0) / r_k (k = 1 .. a.Length).
    /// </summary>
    static double[] Weights(double baseWeight, double cb, double[] r, double[] a)
    {
        var w = new double[r.Length];
        w[0] = baseWeight;
        for (int k = 1; k <= a.Length; k++)
        {
            w[k] = -cb * a[k - 1] / r[k];
            w[0] -= w[k];
        }
        return w;
    }

    /// <summary>
    /// Solves sum_k a_k r_k^(q-1) = q! hh phi_{q+1}(hh) / B for q = 1 .. r.Length (a Vandermonde system in the
    /// distinct r_k); one coefficient takes the limit 1/2 of the right-hand side as h -> 0.
    /// </summary>
    internal static double[] OrderConditions(double[] r, double hh, double b)
    {
        int n = r.Length;
        if (n == 0) return [];
        if (n == 1) return [0.5];
        var matrix = new double[n, n];
        var rhs = new double[n];
        for (int q = 1; q <= n; q++)
        {
            for (int k = 0; k < n; k++) matrix[q - 1, k] = Math.Pow(r[k], q - 1);
            rhs[q - 1] = PhiFunctions.Factorial(q) * hh * PhiFunctions.Phi(q + 1, hh) / b;
        }
        return Solve(matrix, rhs);
    }

    /// <summary>Gaussian elimination with partial pivoting (n &lt;= 3 here).</summary>
    static double[] Solve(double[,] a, double[] y)
    {
        int n = y.Length;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < n; row++)
                if (Math.Abs(a[row, col]) > Math.Abs(a[pivot, col])) pivot = row;
            if (pivot != col)
            {
                for (int k = 0; k < n; k++) (a[col, k], a[pivot, k]) = (a[pivot, k], a[col, k]);
                (y[col], y[pivot]) = (y[pivot], y[col]);
            }
            for (int row = col + 1; row < n; row++)
            {
                double f = a[row, col] / a[col, col];
                for (int k = col; k < n; k++) a[row, k] -= f * a[col, k];
                y[row] -= f * y[col];
            }
        }
        var x = new double[n];
        for (int row = n - 1; row >= 0; row--)
        {
            double sum = y[row];
            for (int k = row + 1; k < n; k++) sum -= a[row, k] * x[k];
            x[row] = sum / a[row, row];
        }
        return x;
    }
}
