using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Training;

/// <summary>
/// Adam (Kingma and Ba 2015, Algorithm 1, with its bias corrections) with decoupled weight decay (AdamW, Loshchilov and
/// Hutter 2019, Algorithm 2; weight decay 0 is plain Adam), the update PyTorch's AdamW makes:
/// p &lt;- p (1 - lr wd); m &lt;- b1 m + (1 - b1) g; v &lt;- b2 v + (1 - b2) g^2;
/// p &lt;- p - lr / (1 - b1^k) * m / (sqrt(v) / sqrt(1 - b2^k) + eps).
/// The project's own because TorchSharp's optimizers convert doubles to native Scalars inside <c>step</c> and drop
/// them, so the finalizer can free one while libtorch reads it (NaN losses, "Expected false to be true" under load).
/// Every Scalar here is explicit and alive until its native call returns.
/// </summary>
public sealed class ExplicitAdamW : IDisposable
{
    readonly TorchSharp.Modules.Parameter[] parameters;
    readonly Tensor[] firstMoments, secondMoments;
    readonly double beta1, beta2, epsilon, weightDecay;

    public ExplicitAdamW(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0)
    {
        this.parameters = parameters.ToArray();
        (LearningRate, this.beta1, this.beta2, this.epsilon, this.weightDecay) = (learningRate, beta1, beta2, epsilon, weightDecay);
        firstMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        secondMoments = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Learning rate of the next step (schedules change it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken so far (k in the bias corrections).</summary>
    public long Steps { get; private set; }

    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        Steps++;
        double lr = LearningRate;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using Scalar decay = 1 - lr * weightDecay, b1 = beta1, b2 = beta2, oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2;
        using Scalar stepSize = -lr / (1 - Math.Pow(beta1, Steps)), rootCorrection = Math.Sqrt(1 - Math.Pow(beta2, Steps)), eps = epsilon;
        for (int i = 0; i < parameters.Length; i++)
        {
            using var g = parameters[i].grad;
            if (g is null) continue;
            var p = parameters[i];
            if (weightDecay != 0) p.mul_(decay);
            firstMoments[i].mul_(b1).add_(g, oneMinusB1);
            secondMoments[i].mul_(b2).addcmul_(g, g, oneMinusB2);
            var denominator = secondMoments[i].sqrt().div_(rootCorrection).Plus_(eps);
            p.addcdiv_(firstMoments[i], denominator, stepSize);
        }
    }

    /// <summary>
    /// Scales the gradients so their joint 2-norm is at most <paramref name="maxNorm"/> (PyTorch's clip_grad_norm_:
    /// factor maxNorm / (norm + 1e-6) when below 1).
    /// </summary>
    public double ClipGradientNorm(double maxNorm)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        double norm = Math.Sqrt(grads.Sum(g => g.mul(g).sum().to_type(ScalarType.Float64).item<double>()));
        double factor = maxNorm / (norm + 1e-6);
        if (factor < 1)
        {
            using Scalar f = factor;
            foreach (var g in grads) g.mul_(f);
        }
        return norm;
    }

    /// <summary>Writes the step count and both moments (resume continues with identical updates).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Steps);
        writer.Write(parameters.Length);
        foreach (var t in firstMoments.Concat(secondMoments)) t.Save(writer);
    }

    /// <summary>Reads what <see cref="Save"/> wrote, into moments of the same shapes.</summary>
    public void Load(BinaryReader reader)
    {
        long steps = reader.ReadInt64();
        if (steps < 0 || reader.ReadInt32() != parameters.Length)
            throw new InvalidDataException("its optimizer state is for another number of parameters");
        foreach (var t in firstMoments.Concat(secondMoments)) t.Load(reader);
        Steps = steps;
    }

    public void Dispose()
    {
        foreach (var t in firstMoments.Concat(secondMoments)) t.Dispose();
    }
}
