using Pipeline.Schedules;
using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers;

/// <summary>One DEIS step (either variant): x_t = XWeight x_s + sum_j Eps[j] eps_j, eps_0 at s, eps_1 one step earlier, ...</summary>
internal sealed record DeisStep(double XWeight, double[] Eps);

/// <summary>
/// The coefficients of tAB-DEIS (Zhang and Chen 2023, sec. 3, exponential integrator with polynomial extrapolation).
/// With x = alpha x_0 + sigma eps the probability-flow ODE is d(x / alpha) = eps d rho, rho = sigma / alpha, so exactly
/// <code>
/// x_t = (alpha_t / alpha_s) x_s + alpha_t int_s^t eps(tau) rho'(tau) d tau.
/// </code>
/// tAB replaces eps(tau) by its Lagrange interpolant l_j in t through the last r evaluations, at tau_0 = s and the
/// earlier (larger) times tau_j = t_{i-j}, so C_j = alpha_t int_s^t l_j(tau) rho'(tau) d tau. Integrated by parts,
/// <code>
/// C_j = alpha_t ( rho_t l_j(t) - rho_s l_j(s) + int_t^s rho(tau) l_j'(tau) d tau ),   l_j(s) = [j = 0],
/// </code>
/// which needs rho but not its derivative. The integral is taken by 16-point Gauss-Legendre on panels: split at the
/// training steps of a discrete schedule (log alpha is linear between them), graded geometrically towards t = 0 so
/// that each panel is at most as long as its distance from 0, and with tau = a + (b - a) v^2 on a panel that starts at
/// 0, where rho grows like sqrt(tau) on VP schedules. Everything is double precision, before the loop.
/// </summary>
internal static class DeisCoefficients
{
    static readonly GaussLegendre Rule = new(16);

    /// <summary>Below this many steps the default of the log-rho variant lowers the order over the last steps (diffusers' lower_order_final).</summary>
    public const int LowerOrderFinalBelow = 15;

    /// <summary>The tAB plan of a run over <paramref name="times"/>; step i uses order min(order, i + 1).</summary>
    public static DeisStep[] Plan(INoiseSchedule schedule, IReadOnlyList<double> times, int order) =>
        Plan(schedule, times, new DeisOptions { Order = order });

    /// <summary>
    /// The plan of a run over <paramref name="times"/>: step i uses order min(order, i + 1), and with lowerOrderFinal
    /// also at most steps - i (the last step first order, the one before at most second).
    /// </summary>
    public static DeisStep[] Plan(INoiseSchedule schedule, IReadOnlyList<double> times, DeisOptions options)
    {
        int steps = times.Count - 1;
        bool logRho = options.Variant == DeisVariant.Logrho;
        bool lowerFinal = options.LowerOrderFinal ?? (logRho && steps < LowerOrderFinalBelow);
        var plan = new DeisStep[steps];
        for (int i = 0; i < steps; i++)
        {
            int r = Math.Min(options.Order, i + 1);
            if (lowerFinal) r = Math.Min(r, steps - i);
            var nodes = Enumerable.Range(0, r).Select(j => times[i - j]).ToArray();
            plan[i] = logRho ? DeisLogRho.Step(schedule, nodes, times[i + 1]) : Step(schedule, nodes, times[i + 1]);
        }
        return plan;
    }

    /// <param name="nodes">tau_0 = s, then the earlier (larger) times.</param>
    internal static DeisStep Step(INoiseSchedule schedule, double[] nodes, double t)
    {
        double s = nodes[0];
        var pointS = TimePoint.At(schedule, s);
        var pointT = TimePoint.At(schedule, t);
        double rhoS = pointS.Sigma / pointS.Alpha, rhoT = pointT.Sigma / pointT.Alpha;

        var integrals = new double[nodes.Length];
        foreach (var (a, b) in Panels(schedule, t, s))
            Accumulate(schedule, nodes, a, b, integrals);

        var c = new double[nodes.Length];
        for (int j = 0; j < nodes.Length; j++)
            c[j] = pointT.Alpha * (rhoT * Lagrange(nodes, j, t) - (j == 0 ? rhoS : 0) + integrals[j]);
        return new DeisStep(Math.Exp(pointT.LogAlpha - pointS.LogAlpha), c);
    }

    /// <summary>Adds int_a^b rho(tau) l_j'(tau) d tau to integrals[j].</summary>
    static void Accumulate(INoiseSchedule schedule, double[] nodes, double a, double b, double[] integrals)
    {
        double mid = (a + b) / 2, half = (b - a) / 2;
        for (int q = 0; q < Rule.Nodes.Length; q++)
        {
            double tau, jacobian;
            if (a == 0)
            {
                // tau = b v^2, v in (0, 1): rho(b v^2) 2 b v is smooth where rho ~ sqrt(tau).
                double v = (Rule.Nodes[q] + 1) / 2;
                tau = b * v * v;
                jacobian = b * v * Rule.Weights[q];   // d tau = 2 b v dv, dv = d(node) / 2
            }
            else
            {
                tau = mid + half * Rule.Nodes[q];
                jacobian = half * Rule.Weights[q];
            }
            double rho = schedule.Sigma(tau) / schedule.Alpha(tau);
            for (int j = 0; j < nodes.Length; j++) integrals[j] += jacobian * rho * LagrangeDerivative(nodes, j, tau);
        }
    }

    /// <summary>Panels covering [lo, hi]: split at training steps, each at most as long as its lower end (from TMin down to 0 in one panel).</summary>
    internal static IEnumerable<(double A, double B)> Panels(INoiseSchedule schedule, double lo, double hi)
    {
        var cuts = new SortedSet<double> { lo, hi };
        if (schedule.TrainingSteps is int n)
            for (int k = (int)Math.Ceiling(lo * n); k <= Math.Floor(hi * n); k++)
                if (k > 0 && k / (double)n > lo && k / (double)n < hi) cuts.Add(k / (double)n);
        double first = lo > 0 ? lo : Math.Min(hi, schedule.TMin);
        cuts.Add(first);
        for (double a = first; 2 * a < hi; a *= 2) cuts.Add(2 * a);
        var list = cuts.ToList();
        for (int k = 0; k + 1 < list.Count; k++)
            if (list[k + 1] > list[k]) yield return (list[k], list[k + 1]);
    }

    /// <summary>l_j(tau) = prod_{k != j} (tau - tau_k) / (tau_j - tau_k).</summary>
    internal static double Lagrange(double[] nodes, int j, double tau)
    {
        double l = 1;
        for (int k = 0; k < nodes.Length; k++)
            if (k != j) l *= (tau - nodes[k]) / (nodes[j] - nodes[k]);
        return l;
    }

    /// <summary>l_j'(tau) = sum_{m != j} 1 / (tau_j - tau_m) prod_{k != j, m} (tau - tau_k) / (tau_j - tau_k).</summary>
    internal static double LagrangeDerivative(double[] nodes, int j, double tau)
    {
        double sum = 0;
        for (int m = 0; m < nodes.Length; m++)
        {
            if (m == j) continue;
            double term = 1 / (nodes[j] - nodes[m]);
            for (int k = 0; k < nodes.Length; k++)
                if (k != j && k != m) term *= (tau - nodes[k]) / (nodes[j] - nodes[k]);
            sum += term;
        }
        return sum;
    }
}
