using Pipeline.Schedules;
using TorchSharp;

namespace Pipeline.Solvers;

/// <summary>A sampler: from x_T along the given times to the final x.</summary>
public interface ISolver
{
    /// <summary>
    /// Problems with this solver on this schedule and these times, checked before anything runs
    /// (for example a VP-only sampler on a VE schedule, or too few steps). Empty when it can run.
    /// </summary>
    IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) => [];

    /// <summary>
    /// Problems with this solver on samples of this shape (one sample, without the batch dimension), checked
    /// before anything runs. Empty when it can run.
    /// </summary>
    IEnumerable<string> CheckSamples(IReadOnlyList<long> sampleShape) => [];

    /// <summary>
    /// Problems with this solver on this model, checked before anything runs. By default a latent model (a DDGAN
    /// generator) is refused: only a solver that draws its latent code for each evaluation can sample it.
    /// </summary>
    IEnumerable<string> CheckModel(Models.IDiffusionModel model, INoiseSchedule schedule) => model is Models.ILatentModel
        ? [LatentModelProblem]
        : [];

    /// <summary>Why a solver that draws no latent code refuses a latent model.</summary>
    const string LatentModelProblem =
        "the model is a generator that takes a latent code z for each step (a Denoising Diffusion GAN); sample it with the solver 'ddgan' on the chain it was trained for";

    /// <summary>Model evaluations the solver will make for the given times (for progress and reports).</summary>
    int Evaluations(IReadOnlyList<double> times) => times.Count - 1;

    /// <summary>
    /// True when each step depends only on the current x and that step's two times (no history, no look at the
    /// other times, the same work whether or not the step is the last): running the solver on the 2-time contexts
    /// (t_i, t_i+1) one after another then gives exactly the full run. Online optimizers that act between steps
    /// (adaptive momentum) need it.
    /// </summary>
    bool OneStep => false;

    /// <summary>Runs the solver. Returns a new tensor; per-step temporaries are disposed.</summary>
    torch.Tensor Sample(SamplingContext context);
}
