using Pipeline;
using Pipeline.SolverKit;
using Pipeline.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Amed;

/// <summary>What a step's predictor network reads of each sample.</summary>
public enum AmedInput
{
    /// <summary>No network: the step's (r, c) is the same for every sample (the table).</summary>
    None,

    /// <summary>x_n and eps_n (scaled to unit variance, pooled to at most 32 numbers each): for models without features.</summary>
    State,

    /// <summary>The model's features at t_n (the UNet's bottleneck averaged over positions, <see cref="Models.IFeatureModel"/>).</summary>
    Bottleneck,
}

/// <summary>
/// AMED's tiny predictor for one step (Zhou et al. 2024, sec. 4: a small network on the UNet's bottleneck that outputs
/// the intermediate time and the scale): input f_b -> normalised -> Linear(F, H) -> SiLU -> Linear(H, 2), giving
/// r_b = r_1 + (r_K - r_1) sigmoid(z_0) and c_b = exp(z_1). r_b is rounded to the nearest of the K positions r_1..r_K
/// the trainer evaluated the model at (its grid), so a batch needs at most K model calls for its intermediate
/// evaluation (<see cref="Sampling.PerSampleTimes"/>). One network per step rather than one with (t_n, t_{n+1}) as
/// inputs: the grid is fixed, so the step index carries the same information.
/// </summary>
public sealed class AmedHead
{
    /// <summary>Numbers a pooled state part keeps per sample.</summary>
    public const int PooledWidth = 32;

    public AmedInput Input { get; set; } = AmedInput.State;

    /// <summary>The candidate positions r_k of s_n in (0, 1).</summary>
    public double[] Levels { get; set; } = [];

    public int Hidden { get; set; }

    /// <summary>Input normalisation: (f - Mean) / Scale, from the training inputs.</summary>
    public double[] Mean { get; set; } = [];

    public double[] Scale { get; set; } = [];

    /// <summary>Weights, row-major: W1 [Hidden, F], B1 [Hidden], W2 [2, Hidden], B2 [2].</summary>
    public double[] W1 { get; set; } = [];

    public double[] B1 { get; set; } = [];

    public double[] W2 { get; set; } = [];

    public double[] B2 { get; set; } = [];

    public int Features => Mean.Length;

    public int ParameterCount => W1.Length + B1.Length + W2.Length + B2.Length;

    /// <summary>Mean squared distance to the teacher per element on the held-out training samples, with this network and with the step's table (r, c).</summary>
    public double? HoldoutLoss { get; set; }

    public double? HoldoutTableLoss { get; set; }

    /// <summary>The first inconsistency, or null.</summary>
    internal string? Problem()
    {
        int k = Levels.Length, f = Features, h = Hidden;
        if (Input == AmedInput.None) return "a network's input is 'none'";
        if (k < 2) return $"{k} levels; at least 2 are needed";
        if (Levels.Any(r => !(r > 0 && r < 1))) return "a level is outside (0, 1)";
        if (f < 1 || Scale.Length != f) return $"{Mean.Length} means and {Scale.Length} scales";
        if (h < 1) return $"hidden = {h}";
        if (W1.Length != h * f || B1.Length != h || W2.Length != 2 * h || B2.Length != 2)
            return $"weight sizes {W1.Length}, {B1.Length}, {W2.Length}, {B2.Length} do not fit {f} inputs and {h} hidden units";
        if (Levels.Zip(Levels.Skip(1)).Any(p => !(p.Second > p.First))) return "levels are not increasing";
        double[][] all = [Mean, Scale, W1, B1, W2, B2];
        if (all.Any(a => a.Any(v => !double.IsFinite(v)))) return "a weight is not finite";
        if (Scale.Any(v => !(v > 0))) return "a scale is not positive";
        return null;
    }

    /// <summary>The predictor input of a batch in state form: [B, F] float64 on the CPU.</summary>
    internal static Tensor StateInput(Tensor x, Tensor eps, TimePoint t)
    {
        using var scope = NewDisposeScope();
        // x / sqrt(alpha^2 + sigma^2) has about unit variance at every t, as eps does.
        using Scalar unit = 1 / Math.Sqrt(t.Alpha * t.Alpha + t.Sigma * t.Sigma);
        var input = cat([Pooled(x.mul(unit)), Pooled(eps)], 1);
        return scope.MoveToOuter(input.to(ScalarType.Float64).cpu());
    }

    static Tensor Pooled(Tensor v)
    {
        var flat = v.reshape(v.shape[0], -1);
        return flat.shape[1] <= PooledWidth ? flat : nn.functional.adaptive_avg_pool1d(flat.unsqueeze(1), PooledWidth).squeeze(1);
    }

    /// <summary>Per sample: the chosen r and c.</summary>
    public (double[] R, double[] C) Decide(Tensor input)
    {
        var (levels, c) = Choose(input);
        return (levels.Select(k => Levels[k]).ToArray(), c);
    }

    /// <summary>Per sample: the index of the chosen level and c.</summary>
    public (long[] Levels, double[] C) Choose(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (w1, b1, w2, b2) = (Weights(W1, Hidden, Features), Weights(B1), Weights(W2, 2, Hidden), Weights(B2));
        var (position, logC) = Forward(Normalised(input), w1, b1, w2, b2);
        using Scalar last = Levels.Length - 1;
        var nearest = position.mul(last).round().to_type(ScalarType.Int64);
        return (nearest.data<long>().ToArray(), logC.exp().data<double>().ToArray());
    }

    Tensor Normalised(Tensor input)
    {
        if (input.dim() != 2 || input.shape[1] != Features)
            throw new InvalidOperationException($"the AMED network takes {Features} inputs per sample but was given [{string.Join(", ", input.shape)}]");
        return input.to(ScalarType.Float64).cpu().sub(Weights(Mean)).div(Weights(Scale));
    }

    /// <summary>Position u in [0, 1] along the levels (r = r_1 + (r_K - r_1) u) and log c, per sample.</summary>
    static (Tensor Position, Tensor LogC) Forward(Tensor input, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        var hidden = nn.functional.silu(input.matmul(w1.t()).Plus(b1));
        var output = hidden.matmul(w2.t()).Plus(b2);
        return (output.select(1, 0).sigmoid(), output.select(1, 1));
    }

    static Tensor Weights(double[] values, params long[] shape) =>
        tensor(values, ScalarType.Float64).reshape(shape.Length == 0 ? [values.Length] : shape);

    /// <summary>
    /// Trains a head on per-sample loss sums at each level: for sample b at level k the squared distance to the teacher
    /// is DD - 2 c BD + c^2 BB (per element), the sums interpolated linearly between levels so that the loss is
    /// differentiable in r. Starts at the step's table (r, c) for every sample and runs Adam on all samples at once
    /// (full batch, float64). Deterministic for a seed.
    /// </summary>
    internal static AmedHead Train(AmedInput kind, double[] levels, Tensor inputs, LevelSums sums, (double R, double C) table,
        int hidden, int iterations, double learningRate, long seed)
    {
        using var scope = NewDisposeScope();
        long f = inputs.shape[1];
        using Scalar tiny = 1e-8;
        var mean = inputs.mean([0]);
        var scale = inputs.std(0, unbiased: false).clamp_min(tiny);
        var x = inputs.sub(mean).div(scale);
        using var generator = new Generator(unchecked((ulong)seed));
        using Scalar initScale = 1 / Math.Sqrt(f);
        var w1 = new Parameter(randn([hidden, f], ScalarType.Float64, generator: generator).mul(initScale));
        var b1 = new Parameter(zeros(hidden, ScalarType.Float64));
        var w2 = new Parameter(zeros(2, hidden, ScalarType.Float64));
        // Every sample starts at the table: sigmoid(z_0) = u of the table's r, exp(z_1) = c.
        double u = Math.Clamp((table.R - levels[0]) / (levels[^1] - levels[0]), 1e-3, 1 - 1e-3);
        var b2 = new Parameter(tensor(new[] { Math.Log(u / (1 - u)), Math.Log(table.C) }, ScalarType.Float64));
        using var optimizer = new ExplicitAdamW([w1, b1, w2, b2], learningRate);
        for (int it = 0; it < iterations; it++)
        {
            using var step = NewDisposeScope();
            optimizer.ZeroGrad();
            var (position, logC) = Forward(x, w1, b1, w2, b2);
            var loss = sums.Loss(position, logC.exp()).mean();
            loss.backward();
            optimizer.Step();
        }
        return new AmedHead
        {
            Input = kind, Levels = levels, Hidden = hidden,
            Mean = mean.data<double>().ToArray(), Scale = scale.data<double>().ToArray(),
            W1 = Values(w1), B1 = Values(b1), W2 = Values(w2), B2 = Values(b2),
        };
    }

    static double[] Values(Tensor t) => t.detach().contiguous().data<double>().ToArray();
}

/// <summary>
/// Per-sample, per-level sums fixing the squared distance to the teacher as a function of c, [N, K] each, per element:
/// ||A + c B - T||^2 / d = DD - 2 c BD + c^2 BB.
/// </summary>
internal sealed record LevelSums(Tensor BB, Tensor BD, Tensor DD)
{
    /// <summary>Per sample: the loss at position u in [0, 1] along the levels (sums interpolated linearly) and scale c, [N] each.</summary>
    public Tensor Loss(Tensor position, Tensor c)
    {
        long k = BB.shape[1];
        using Scalar last = k - 1, first = 0, lastLower = k - 2, one = 1;
        var along = position.mul(last);
        var lower = along.detach().floor().clamp(first, lastLower).to_type(ScalarType.Int64).unsqueeze(1);
        var upper = lower.Plus(one);
        var w = along.sub(lower.squeeze(1).to_type(ScalarType.Float64));
        var v = w.neg().Plus(one);
        Tensor At(Tensor sums) => sums.gather(1, lower).squeeze(1).mul(v).Plus(sums.gather(1, upper).squeeze(1).mul(w));
        var (bb, bd, dd) = (At(BB), At(BD), At(DD));
        var cbd = c.mul(bd);
        return dd.sub(cbd).sub(cbd).Plus(c.mul(c).mul(bb));
    }

    /// <summary>Per sample: the loss at each sample's chosen level and c.</summary>
    public Tensor Loss(long[] chosen, double[] c)
    {
        var index = tensor(chosen, ScalarType.Int64).unsqueeze(1);
        var (bb, bd, dd) = (BB.gather(1, index).squeeze(1), BD.gather(1, index).squeeze(1), DD.gather(1, index).squeeze(1));
        var cs = tensor(c, ScalarType.Float64);
        var cbd = cs.mul(bd);
        return dd.sub(cbd).sub(cbd).Plus(cs.mul(cs).mul(bb)).relu();
    }

    public LevelSums Rows(Tensor index) => new(BB.index_select(0, index), BD.index_select(0, index), DD.index_select(0, index));
}
