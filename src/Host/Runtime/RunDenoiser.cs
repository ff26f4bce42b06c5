using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Host.Runtime;

/// <summary>
/// What the solver of one batch calls: the guided model with this batch's conditions bound. It counts
/// evaluations, times them, and records on the device whether each output was finite, so non-finite
/// values are found without reading anything back inside the step loop.
/// </summary>
public sealed class RunDenoiser(IConditionalDenoiser inner, Conditioning conditioning) : IDenoiser, Optimizers.IEvaluationCounter, IDisposable
{
    readonly List<(int Step, double T, torch.Tensor Finite)> checks = [];
    readonly System.Diagnostics.Stopwatch modelTime = new();

    public INoiseSchedule Schedule => inner.Schedule;

    /// <summary>Model evaluations so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Wall time spent inside model evaluations (host side; on CUDA this is launch time unless synchronised).</summary>
    public TimeSpan ModelTime => modelTime.Elapsed;

    /// <summary>The solver step in progress, kept up to date by the runner's observer.</summary>
    public int CurrentStep { get; set; }

    /// <summary>When true every evaluation waits for the device, so <see cref="ModelTime"/> is exact (benchmarks only).</summary>
    public bool Synchronize { get; init; }

    public ModelOutput Predict(torch.Tensor x, double t) => Evaluate(x, t, () => inner.Predict(x, t, conditioning));

    public int? LatentSize => (inner.Model as ILatentModel)?.LatentSize;

    /// <summary>A latent model's evaluation with the step's codes (DDGAN): one evaluation.</summary>
    public ModelOutput Predict(torch.Tensor x, double t, torch.Tensor latent) =>
        Evaluate(x, t, () => inner.Predict(x, t, conditioning with { Latent = latent }));

    /// <summary>Samples at their own times (AMED): one evaluation, one model call per distinct time.</summary>
    public ModelOutput Predict(torch.Tensor x, IReadOnlyList<double> times) =>
        Evaluate(x, times.Count > 0 ? times.Min() : double.NaN,
            () => PerSampleTimes.Predict(x, times, conditioning, inner.Predict));

    ModelOutput Evaluate(torch.Tensor x, double t, Func<ModelOutput> predict)
    {
        modelTime.Start();
        var output = predict();
        var finite = torch.isfinite(output.Epsilon).all().logical_and_(torch.isfinite(output.Data).all());
        // The flag outlives the solver's per-step scope; it is disposed with this denoiser.
        finite.DetachFromDisposeScope();
        checks.Add((CurrentStep, t, finite));
        Evaluations++;
        if (Synchronize && x.device_type == DeviceType.CUDA) torch.cuda.synchronize(x.device);
        modelTime.Stop();
        return output;
    }

    /// <summary>The first evaluation whose output was not finite (one read for the whole run), or null.</summary>
    public (int Step, double T, int Evaluation)? FirstNonFinite()
    {
        if (checks.Count == 0) return null;
        using var scope = torch.NewDisposeScope();
        var all = torch.stack(checks.Select(c => c.Finite).ToArray()).cpu();
        var flags = all.data<bool>().ToArray();
        int bad = Array.IndexOf(flags, false);
        return bad < 0 ? null : (checks[bad].Step, checks[bad].T, bad + 1);
    }

    public void Dispose()
    {
        foreach (var c in checks) c.Finite.Dispose();
        checks.Clear();
    }
}
