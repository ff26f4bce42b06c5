using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// DDPM's simplified objective (Ho et al. 2020, eq. (14), Algorithm 1): a uniform training step i, x_t =
/// alpha_i x_0 + sigma_i eps, and the squared error of the predicted eps. Step i is continuous time
/// t = (i + 1) / N, so alpha and sigma come from the noise schedule exactly as sampling evaluates them, and
/// the network receives i (the discrete-index time input). With probability <c>labelDropout</c> a label is
/// replaced by the null label -1, which trains the unconditional model of classifier-free guidance
/// (Ho and Salimans 2022, Algorithm 1).
/// </summary>
public sealed class DenoisingObjective : ITrainingObjective, IDisposable
{
    readonly StepTable table;
    readonly double labelDropout;

    public DenoisingObjective(INoiseSchedule schedule, double labelDropout, Device device)
    {
        table = new StepTable(schedule, device);
        this.labelDropout = labelDropout;
    }

    public Tensor Loss(nn.Module network, Tensor images, Tensor labels)
    {
        var denoiser = network as nn.Module<Tensor, Tensor, Tensor, Tensor>
            ?? throw new InvalidOperationException($"{network.GetType().Name} is not a denoiser: it has no forward(x, step, labels)");
        using var scope = NewDisposeScope();
        var (steps, noisy, eps) = table.Noise(images);
        var conditions = LabelDropout.Apply(labels, labelDropout);
        var predicted = denoiser.forward(noisy, steps, conditions);
        return scope.MoveToOuter(nn.functional.mse_loss(predicted, eps));
    }

    public StepTable Table => table;

    public void Dispose() => table.Dispose();
}
