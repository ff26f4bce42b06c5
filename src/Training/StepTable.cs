using Pipeline.Options;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// alpha and sigma of every training step i = 0..N-1 of a discrete noise schedule, at t = (i + 1) / N,
/// computed in double on the host and kept on the device, for drawing noisy training inputs.
/// </summary>
public sealed class StepTable : IDisposable
{
    readonly Tensor alphas;
    readonly Tensor sigmas;

    public StepTable(INoiseSchedule schedule, Device device)
    {
        Steps = schedule.TrainingSteps
            ?? throw new PipelineInputException("networks trained on noisy inputs take the training-step index as their time input, which needs a discrete noise schedule (one with training steps), e.g. { \"type\": \"discrete\" }", "$.noiseSchedule");
        var a = new float[Steps];
        var s = new float[Steps];
        for (int i = 0; i < Steps; i++)
        {
            double t = (i + 1.0) / Steps;
            a[i] = (float)schedule.Alpha(t);
            s[i] = (float)schedule.Sigma(t);
        }
        alphas = tensor(a, device: device);
        sigmas = tensor(s, device: device);
    }

    public int Steps { get; }

    /// <summary>Uniform steps i [B] (as float, the network's time input), x_t and the eps that made it.</summary>
    public (Tensor Steps, Tensor Noisy, Tensor Epsilon) Noise(Tensor clean, int? step = null)
    {
        using var scope = NewDisposeScope();
        long b = clean.shape[0];
        var index = step is int fixedStep ? full(b, fixedStep, int64, clean.device) : randint(0, Steps, [b], int64, clean.device);
        long[] shape = [b, .. Enumerable.Repeat(1L, (int)clean.dim() - 1)];
        var alpha = alphas.index_select(0, index).view(shape);
        var sigma = sigmas.index_select(0, index).view(shape);
        var eps = randn_like(clean);
        var noisy = clean.mul(alpha).Plus_(eps.mul(sigma));
        return (scope.MoveToOuter(index.to_type(clean.dtype)), scope.MoveToOuter(noisy), scope.MoveToOuter(eps));
    }

    public void Dispose()
    {
        alphas.Dispose();
        sigmas.Dispose();
    }
}
