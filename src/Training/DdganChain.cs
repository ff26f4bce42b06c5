using Pipeline.Options;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// The T-step forward chain a Denoising Diffusion GAN learns to reverse (Xiao et al. 2022, section 3): positions
/// k = 0 .. T with alpha_bar_0 = 1 (clean data) and alpha_bar_k = alpha(k / T)^2 of a discrete schedule with T training
/// steps, beta_k = 1 - alpha_bar_k / alpha_bar_(k-1). Step index j = 0 .. T-1 is the step from position j + 1 to j,
/// the time input the networks receive. Coefficients are computed in double on the host and kept on the device.
/// </summary>
public sealed class DdganChain : IDisposable
{
    readonly Tensor sqrtAlphaBar, sigmaBar, sqrtOneMinusBeta, sqrtBeta;
    readonly Tensor posteriorData, posteriorState, posteriorStd;

    public DdganChain(INoiseSchedule schedule, Device device)
    {
        Steps = schedule.TrainingSteps
            ?? throw new PipelineInputException("a DDGAN is trained on a discrete chain: use a discrete noise schedule, e.g. { \"type\": \"discrete\", \"betaSchedule\": \"vp-continuous\", \"trainingSteps\": 4 }", "$.noiseSchedule");
        int n = Steps;
        var abar = new double[n + 1];
        abar[0] = 1;
        for (int k = 1; k <= n; k++)
        {
            double alpha = schedule.Alpha(k / (double)n);
            abar[k] = alpha * alpha;
        }
        AlphasCumprod = abar.Skip(1).ToArray();
        // Per step index j (position j + 1 -> j): the marginal at j, the transition j -> j + 1, and the posterior
        // q(x_j | x_(j+1), x_0) = N(a x_0 + b x_(j+1), beta-tilde) of Ho et al. 2020, eqs. (6)-(7).
        var table = new double[7][];
        for (int r = 0; r < 7; r++) table[r] = new double[n];
        for (int j = 0; j < n; j++)
        {
            double beta = 1 - abar[j + 1] / abar[j];
            table[0][j] = Math.Sqrt(abar[j]);
            table[1][j] = Math.Sqrt(1 - abar[j]);
            table[2][j] = Math.Sqrt(1 - beta);
            table[3][j] = Math.Sqrt(beta);
            table[4][j] = Math.Sqrt(abar[j]) * beta / (1 - abar[j + 1]);
            table[5][j] = Math.Sqrt(1 - beta) * (1 - abar[j]) / (1 - abar[j + 1]);
            table[6][j] = Math.Sqrt(beta * (1 - abar[j]) / (1 - abar[j + 1]));
        }
        Tensor Column(int r) => tensor(table[r].Select(v => (float)v).ToArray(), device: device);
        (sqrtAlphaBar, sigmaBar, sqrtOneMinusBeta, sqrtBeta) = (Column(0), Column(1), Column(2), Column(3));
        (posteriorData, posteriorState, posteriorStd) = (Column(4), Column(5), Column(6));
    }

    /// <summary>T.</summary>
    public int Steps { get; }

    /// <summary>alpha_bar_k, k = 1 .. T: what a checkpoint records so sampling can refuse another chain.</summary>
    public IReadOnlyList<double> AlphasCumprod { get; }

    /// <summary>
    /// A uniform step index j [B] (int64) and a real pair from q: x_j ~ q(x_j | x_0) and x_(j+1) ~ q(x_(j+1) | x_j),
    /// the joint the discriminator learns to tell from the generator's.
    /// </summary>
    public (Tensor Step, Tensor Previous, Tensor Next) Pair(Tensor clean)
    {
        using var scope = NewDisposeScope();
        long b = clean.shape[0];
        var step = randint(0, Steps, [b], int64, clean.device);
        var previous = clean.mul(Rows(sqrtAlphaBar, step, clean)).Plus_(randn_like(clean).mul_(Rows(sigmaBar, step, clean)));
        var next = previous.mul(Rows(sqrtOneMinusBeta, step, clean)).Plus_(randn_like(clean).mul_(Rows(sqrtBeta, step, clean)));
        return (scope.MoveToOuter(step), scope.MoveToOuter(previous), scope.MoveToOuter(next));
    }

    /// <summary>x_j ~ q(x_j | x_(j+1), x_0'), with <paramref name="noise"/> the standard normal draw (none needed at j = 0).</summary>
    public Tensor Posterior(Tensor x0, Tensor next, Tensor step, Tensor noise)
    {
        using var scope = NewDisposeScope();
        var mean = x0.mul(Rows(posteriorData, step, x0)).Plus_(next.mul(Rows(posteriorState, step, x0)));
        return scope.MoveToOuter(mean.Plus_(noise.mul(Rows(posteriorStd, step, x0))));
    }

    static Tensor Rows(Tensor column, Tensor step, Tensor like)
    {
        long[] shape = [like.shape[0], .. Enumerable.Repeat(1L, (int)like.dim() - 1)];
        return column.index_select(0, step).view(shape).to_type(like.dtype);
    }

    public void Dispose()
    {
        foreach (var t in new[] { sqrtAlphaBar, sigmaBar, sqrtOneMinusBeta, sqrtBeta, posteriorData, posteriorState, posteriorStd }) t.Dispose();
    }
}
