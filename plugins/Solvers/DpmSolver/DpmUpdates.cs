using Pipeline.SolverKit;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

/// <summary>
/// The update rules of DPM-Solver (noise prediction) and DPM-Solver++ (data prediction), both written through
/// <see cref="ExponentialStep"/>: x_t = A x_s + C(1) D_0 + C(2) D_1 + C(3) D_2 with the D_k of each method. The
/// differences D_k are linear in the model outputs, so each rule expands them into one weight per output on the host
/// and makes one fused pass over the tensors (the comments give the paper's form).
/// </summary>
internal static class DpmUpdates
{
    /// <summary>DPM-Solver-1 / DPM-Solver++1 (= DDIM): x_t = A x_s + C(1) m_s.</summary>
    public static Tensor FirstOrder(Tensor x, ExponentialStep step, Tensor m) =>
        Linear.Combine(step.A, x, step.C(1), m);

    /// <summary>
    /// Multistep second order (DPM-Solver++ Algorithm 2, "2M"; noise-prediction form likewise) from s = t_{i-1} with the
    /// previous output m_1 at t_{i-2}: r_0 = h_0 / h, D_1 = (m_0 - m_1) / r_0 with h_0 the previous step in lambda.
    /// Midpoint ('dpmsolver'): x_t = A x + C(1) m_0 + C(1)/2 D_1. Heun ('taylor'): x_t = A x + C(1) m_0 + C(2) D_1.
    /// </summary>
    public static Tensor Multistep2(Tensor x, ExponentialStep step, double hPrevious, Tensor m0, Tensor m1, DpmSolverType type)
    {
        double r0 = hPrevious / step.H;
        double wD1 = type == DpmSolverType.Midpoint ? 0.5 * step.C(1) : step.C(2);
        double w = wD1 / r0;
        return Linear.Combine(step.A, x, step.C(1) + w, m0).AddScaled_(-w, m1);
    }

    /// <summary>
    /// Multistep third order ("3M"; the authors use one form for both solver types) with outputs m_0, m_1, m_2 at the
    /// last three times and previous steps h_0, h_1 in lambda: r_0 = h_0 / h, r_1 = h_1 / h,
    /// D1_0 = (m_0 - m_1) / r_0, D1_1 = (m_1 - m_2) / r_1, D_1 = D1_0 + r_0 / (r_0 + r_1) (D1_0 - D1_1),
    /// D_2 = (D1_0 - D1_1) / (r_0 + r_1); x_t = A x + C(1) m_0 + C(2) D_1 + C(3) D_2. That D_2 is h^2 m''/2 where the
    /// Taylor term C(3) multiplies h^2 m'' (the second difference m_0 - 2 m_1 + m_2 is h^2 m'' on equal steps);
    /// <see cref="Multistep3Variant.Taylor"/> doubles it.
    /// </summary>
    public static Tensor Multistep3(Tensor x, ExponentialStep step, double h0, double h1, Tensor m0, Tensor m1, Tensor m2,
        Multistep3Variant variant)
    {
        double r0 = h0 / step.H, r1 = h1 / step.H, c2 = step.C(2);
        double c3 = variant == Multistep3Variant.Taylor ? 2 * step.C(3) : step.C(3);
        // C(2) D_1 + C(3) D_2 = p D1_0 - q D1_1.
        double p = c2 * (1 + r0 / (r0 + r1)) + c3 / (r0 + r1);
        double q = c2 * r0 / (r0 + r1) + c3 / (r0 + r1);
        return Linear.Combine(step.A, x, step.C(1) + p / r0, m0)
            .AddScaled_(-p / r0 - q / r1, m1)
            .AddScaled_(q / r1, m2);
    }

    /// <summary>
    /// Final update of singlestep second order (DPM-Solver-2, Algorithm 1; DPM-Solver++(2S), Algorithm 1) with the
    /// intermediate output m_1 at lambda_s + r_1 h. Midpoint: x_t = A x + C(1) m_s + C(1) / (2 r_1) (m_1 - m_s).
    /// Heun ('taylor'): x_t = A x + C(1) m_s + C(2) / r_1 (m_1 - m_s).
    /// </summary>
    public static Tensor Singlestep2(Tensor x, ExponentialStep step, double r1, Tensor ms, Tensor m1, DpmSolverType type)
    {
        double w = (type == DpmSolverType.Midpoint ? 0.5 * step.C(1) : step.C(2)) / r1;
        return Linear.Combine(step.A, x, step.C(1) - w, ms).AddScaled_(w, m1);
    }

    /// <summary>
    /// Second intermediate state of singlestep third order (DPM-Solver-3, Algorithm 2), at lambda_s + r_2 h, from the
    /// step s -&gt; s_2: x_{s2} = A x + C(1) m_s + (r_2 / r_1) C(2) (m_1 - m_s).
    /// </summary>
    public static Tensor Singlestep3Inner(Tensor x, ExponentialStep toS2, double r1, double r2, Tensor ms, Tensor m1)
    {
        double w = r2 / r1 * toS2.C(2);
        return Linear.Combine(toS2.A, x, toS2.C(1) - w, ms).AddScaled_(w, m1);
    }

    /// <summary>
    /// Final update of singlestep third order with outputs m_1, m_2 at lambda_s + r_1 h and lambda_s + r_2 h.
    /// Midpoint ('dpmsolver'): x_t = A x + C(1) m_s + C(2) / r_2 (m_2 - m_s).
    /// Heun ('taylor'): D1_0 = (m_1 - m_s) / r_1, D1_1 = (m_2 - m_s) / r_2, D_1 = (r_2 D1_0 - r_1 D1_1) / (r_2 - r_1),
    /// D_2 = 2 (D1_1 - D1_0) / (r_2 - r_1), x_t = A x + C(1) m_s + C(2) D_1 + C(3) D_2.
    /// </summary>
    public static Tensor Singlestep3(Tensor x, ExponentialStep step, double r1, double r2, Tensor ms, Tensor m1, Tensor m2,
        DpmSolverType type)
    {
        double c2 = step.C(2), c3 = step.C(3);
        // Weights of (m_1 - m_s) and (m_2 - m_s).
        double w1, w2;
        if (type == DpmSolverType.Midpoint)
        {
            w1 = 0;
            w2 = c2 / r2;
        }
        else
        {
            w1 = c2 * r2 / (r1 * (r2 - r1)) - 2 * c3 / (r1 * (r2 - r1));
            w2 = -c2 * r1 / (r2 * (r2 - r1)) + 2 * c3 / (r2 * (r2 - r1));
        }
        var next = Linear.Combine(step.A, x, step.C(1) - w1 - w2, ms).AddScaled_(w2, m2);
        return w1 == 0 ? next : next.AddScaled_(w1, m1);
    }
}
