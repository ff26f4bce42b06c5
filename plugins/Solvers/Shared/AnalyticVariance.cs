using Pipeline.Optimizers;
using Pipeline.Sampling;
using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>
/// The optimal reverse variance of Analytic-DPM (Bao et al. 2022) for one step s -&gt; t (t &lt; s) of the DDIM family
/// q_lambda(x_t | x_s, x_0) = N(alpha_t x_0 + sqrt(sigma_t^2 - lambda^2) (x_s - alpha_s x_0) / sigma_s, lambda^2 I), from the
/// table of Gamma(s) = E ||eps_theta(x_s, s)||^2 / d that the 'analytic-dpm' optimizer writes.
/// </summary>
internal sealed class AnalyticVariance(VarianceTable table, string file)
{
    /// <summary>The table named by a solver's option, or null when the option is empty.</summary>
    public static AnalyticVariance? Load(string? path, RunEnvironment? environment)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        var file = (environment ?? RunEnvironment.Cpu).Resolve(path);
        return new AnalyticVariance(VarianceTable.Load(file), file);
    }

    /// <summary>Every time a noisy step starts from must lie within the table's times (interpolation, never extrapolation).</summary>
    public IEnumerable<string> Problems(string solver, IReadOnlyList<double> times)
    {
        for (int i = 0; i + 1 < times.Count; i++)
            if (times[i + 1] > 0 && table.At(times[i]) is null)
            {
                yield return $"{solver}: the variance table '{file}' covers t in [{table.Times[0]}, {table.Times[^1]}] but the run steps from t = {times[i]}; " +
                    "run the 'analytic-dpm' optimizer again with times that cover the run (its default, every training step of a discrete schedule, covers every run on that schedule)";
                yield break;
            }
    }

    /// <summary>
    /// sigma*^2 of Bao et al. Theorem 1 for a step from s to t with DDIM-family variance lambda^2. In this notation
    /// (alpha_n, beta-bar_n of the paper being alpha_s^2 / alpha_t^2 per step and sigma^2) their eq. (7) reads
    /// sigma*^2 = lambda^2 + (sigma_s alpha_t / alpha_s - sqrt(sigma_t^2 - lambda^2))^2 (1 - Gamma(s)),
    /// the second term being the x_0 coefficient of the mean squared times E tr Cov[x_0 | x_s] / d = (sigma_s / alpha_s)^2 (1 - Gamma).
    /// It is clipped to the bounds of Theorem 2: below by lambda^2 (Gamma &lt;= 1), above by Gamma &gt;= 0 and, for data in
    /// [a, b]^d, by Cov[x_0 | x_s] &lt;= ((b - a) / 2)^2: the bound that matters on the last steps, where the Monte Carlo
    /// error of 1 - Gamma is large next to its value.
    /// </summary>
    public double Variance(TimePoint s, TimePoint t, double lambda2)
    {
        double gamma = table.At(s.T) ?? throw new InvalidOperationException($"t = {s.T} outside the variance table '{file}'");
        double direction = Math.Sqrt(Math.Max(t.Sigma * t.Sigma - lambda2, 0));
        double coefficient = s.Sigma * t.Alpha / s.Alpha - direction;
        double variance = lambda2 + coefficient * coefficient * Math.Clamp(1 - gamma, 0, 1);
        if (table.DataRange is [var low, var high])
        {
            // The mean's coefficient of x_0: alpha_t - sqrt(sigma_t^2 - lambda^2) alpha_s / sigma_s.
            double x0Coefficient = t.Alpha - direction * s.Alpha / s.Sigma, half = (high - low) / 2;
            variance = Math.Min(variance, lambda2 + x0Coefficient * x0Coefficient * half * half);
        }
        return variance;
    }
}
