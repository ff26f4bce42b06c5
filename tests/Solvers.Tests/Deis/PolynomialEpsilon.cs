using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Deis;

/// <summary>
/// A synthetic denoiser whose eps does not depend on x: eps_d(t) = sum_m Coefficients[m][d] t^m. Along it the
/// probability flow is x_t = (alpha_t / alpha_s) x_s + alpha_t int_s^t eps(tau) d rho(tau), rho = sigma / alpha.
/// </summary>
public sealed class PolynomialEpsilon(INoiseSchedule schedule, double[][] coefficients) : IDenoiser
{
    public INoiseSchedule Schedule => schedule;

    public int Evaluations { get; private set; }

    public double[] At(double t) => Enumerable.Range(0, coefficients[0].Length)
        .Select(d => coefficients.Select((c, m) => c[d] * Math.Pow(t, m)).Sum()).ToArray();

    public ModelOutput Predict(Tensor x, double t)
    {
        Evaluations++;
        using var row = tensor(At(t), [1, coefficients[0].Length], x.dtype);
        var eps = row.expand_as(x).clone();
        return new(eps, PredictionConversion.DataFromEpsilon(x, eps, schedule.Alpha(t), schedule.Sigma(t)));
    }

    /// <summary>
    /// int_s^t P(tau) d rho(tau) computed in rho (tau = t(rho) from the schedule's inverse): an independent route from
    /// the solver's integration by parts in tau. Composite 16-point Gauss-Legendre, panels split where a discrete
    /// schedule has its training steps.
    /// </summary>
    public static double IntegralInRho(INoiseSchedule schedule, Func<double, double> p, double s, double t)
    {
        static double Rho(INoiseSchedule sc, double tau) => tau == 0 ? 0 : sc.Sigma(tau) / sc.Alpha(tau);
        double TimeOfRho(double rho) => rho == 0 ? 0 : schedule.TimeOfLambda(-Math.Log(rho));
        var cuts = new List<double> { Rho(schedule, t), Rho(schedule, s) };
        if (schedule.TrainingSteps is int n)
            for (int k = 1; k < n; k++)
                if (k / (double)n > t && k / (double)n < s) cuts.Add(Rho(schedule, k / (double)n));
        cuts.Sort();
        var rule = new Pipeline.SolverKit.GaussLegendre(16);
        double sum = 0;
        // The integrand is smooth in rho on each piece: 64 panels in all are exact to rounding.
        int panels = Math.Max(1, 64 / (cuts.Count - 1));
        for (int i = 0; i + 1 < cuts.Count; i++)
        {
            for (int q = 0; q < panels; q++)
            {
                double a = cuts[i] + (cuts[i + 1] - cuts[i]) * q / panels, b = cuts[i] + (cuts[i + 1] - cuts[i]) * (q + 1) / panels;
                sum += rule.Integrate(rho => p(TimeOfRho(rho)), a, b);
            }
        }
        // Integrated from rho_t up to rho_s; the flow runs from s to t.
        return -sum;
    }
}
