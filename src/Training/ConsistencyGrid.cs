using Pipeline.Models;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>How the teacher's probability-flow ODE is stepped from t_(n+1) to t_n in consistency distillation.</summary>
public enum ConsistencyOdeStep
{
    /// <summary>DDIM (eta = 0), the first-order exponential step: Euler's method for x / alpha in s = sigma / alpha. One teacher evaluation.</summary>
    Ddim,
    /// <summary>Heun's second-order step in (x / alpha, s), EDM's Algorithm 1 without churn, as Song et al. distil with. Two teacher evaluations.</summary>
    Heun,
}

/// <summary>The distance d(x, y) between the student's and the target's outputs, per sample over its d values.</summary>
public enum ConsistencyDistance
{
    /// <summary>Squared L2, ||x - y||^2 / d (Song et al. 2023, section 3).</summary>
    L2,
    /// <summary>Pseudo-Huber sqrt(||x - y||^2 + c^2) - c with c = 0.00054 sqrt(d) (Song and Dhariwal 2023, section 3.3).</summary>
    PseudoHuber,
}

/// <summary>
/// The N boundaries t_1 = t_min &lt; ... &lt; t_N = t_max of consistency distillation (Song et al. 2023, section 4), spaced
/// as the paper does by Karras et al.'s rho = 7 rule in the EDM noise level s = sigma / alpha of the VP schedule, and,
/// for each, on the host in double: alpha, sigma, the network's time input (the training-step index t N_train - 1), the
/// consistency function's coefficients (<see cref="ConsistencyParametrization"/>) and the teacher's step from the boundary
/// above. Tables live on the device so each sample of a batch takes its own n.
/// </summary>
public sealed class ConsistencyGrid : IDisposable
{
    const double Rho = 7;
    readonly Tensor alpha, sigma, input, ofInput, ofEpsilon, stepInput, stepEpsilon;

    public ConsistencyGrid(INoiseSchedule schedule, int boundaries, Device device)
    {
        int trainingSteps = schedule.TrainingSteps ?? throw new InvalidOperationException("consistency distillation needs a discrete schedule");
        Count = boundaries;
        SigmaMin = schedule.Sigma(schedule.TMin) / schedule.Alpha(schedule.TMin);
        double sigmaMax = schedule.Sigma(schedule.TMax) / schedule.Alpha(schedule.TMax);
        double lo = Math.Pow(SigmaMin, 1 / Rho), hi = Math.Pow(sigmaMax, 1 / Rho);
        Times = Enumerable.Range(0, boundaries).Select(i =>
            i == 0 ? schedule.TMin : i == boundaries - 1 ? schedule.TMax
            : schedule.TimeOfNoiseRatio(Math.Pow(lo + i / (boundaries - 1.0) * (hi - lo), Rho))).ToArray();
        var a = Times.Select(schedule.Alpha).ToArray();
        var s = Times.Select(schedule.Sigma).ToArray();
        var f = Enumerable.Range(0, boundaries).Select(i => ConsistencyParametrization.Combination(a[i], s[i], SigmaMin)).ToArray();
        // The ODE step into boundary n from n + 1 (index n; the top boundary has none): x_n = (alpha_n / alpha_(n+1)) x + alpha_n (s_n - s_(n+1)) eps.
        var p = new double[boundaries];
        var q = new double[boundaries];
        for (int n = 0; n + 1 < boundaries; n++)
        {
            p[n] = a[n] / a[n + 1];
            q[n] = a[n] * (s[n] / a[n] - s[n + 1] / a[n + 1]);
        }
        Tensor Table(IEnumerable<double> values) => tensor(values.Select(v => (float)v).ToArray(), device: device);
        alpha = Table(a);
        sigma = Table(s);
        input = Table(Times.Select(t => t * trainingSteps - 1));
        ofInput = Table(f.Select(c => c.OfInput));
        ofEpsilon = Table(f.Select(c => c.OfEpsilon));
        stepInput = Table(p);
        stepEpsilon = Table(q);
    }

    /// <summary>N, the number of boundaries.</summary>
    public int Count { get; }

    /// <summary>The boundaries' times, increasing.</summary>
    public double[] Times { get; }

    /// <summary>s_min = sigma / alpha at t_min, where f(x, t_min) = x / alpha.</summary>
    public double SigmaMin { get; }

    static Tensor At(Tensor table, Tensor n, Tensor like) =>
        table.index_select(0, n).view([n.shape[0], .. Enumerable.Repeat(1L, (int)like.dim() - 1)]);

    /// <summary>x_(t_n) = alpha_n x_0 + sigma_n z for each sample's boundary n [B].</summary>
    public Tensor Noisy(Tensor clean, Tensor n, Tensor z) => clean.mul(At(alpha, n, clean)).Plus_(z.mul(At(sigma, n, clean)));

    /// <summary>The consistency function f(x, t_n) = A_n x + B_n eps_theta(x, t_n) of a student network (forward(x, step, labels) = eps).</summary>
    public Tensor Function(nn.Module<Tensor, Tensor, Tensor, Tensor> network, Tensor x, Tensor n, Tensor labels)
    {
        var eps = network.forward(x, input.index_select(0, n), labels);
        return x.mul(At(ofInput, n, x)).Plus_(eps.mul(At(ofEpsilon, n, x)));
    }

    /// <summary>The teacher's ODE step from t_(n+1) to t_n (no gradient), x at t_(n+1); n [B] in 0 .. N - 2.</summary>
    public Tensor TeacherStep(nn.Module<Tensor, Tensor, Tensor, Tensor> teacher, ConsistencyOdeStep method, Tensor x, Tensor n, Tensor labels)
    {
        using var _ = no_grad();
        var above = n.Plus(SafeTensorOps.One);
        var p = At(stepInput, n, x);
        var q = At(stepEpsilon, n, x);
        var eps = teacher.forward(x, input.index_select(0, above), labels);
        // DDIM: Euler in (x / alpha, s), written back in x.
        var euler = x.mul(p).Plus_(eps.mul(q));
        if (method == ConsistencyOdeStep.Ddim) return euler;
        // Heun: the slope at the Euler point averaged with the first (Karras et al. 2022, Algorithm 1, lines 7-8).
        var slope = teacher.forward(euler, input.index_select(0, n), labels);
        using Scalar half = 0.5;
        return x.mul(p).Plus_(eps.Plus(slope).mul(q).mul(half));
    }

    /// <summary>d(a, b) per sample [B], over each sample's d values.</summary>
    public static Tensor Distance(ConsistencyDistance distance, Tensor a, Tensor b)
    {
        var squared = a.sub(b).flatten(1).Squared().sum(1);
        long d = a.numel() / a.shape[0];
        if (distance == ConsistencyDistance.L2)
        {
            using Scalar perValue = 1.0 / d;
            return squared.mul(perValue);
        }
        double c = 0.00054 * Math.Sqrt(d);
        using Scalar c2 = c * c, minusC = -c;
        return squared.Plus(c2).sqrt().Plus(minusC);
    }

    public void Dispose()
    {
        foreach (var t in new[] { alpha, sigma, input, ofInput, ofEpsilon, stepInput, stepEpsilon }) t.Dispose();
    }
}
