using Pipeline.Schedules;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

[Plugin(PluginKinds.Solver, "dpm-solver", Aliases = "dpmsolver,dpm_solver",
    Summary = "DPM-Solver (Lu et al. 2022): exponential integrator in log-SNR on the noise prediction; orders 1-3, singlestep, multistep or adaptive")]
public sealed class DpmSolverExport : PluginExport<DpmSolver, DpmSolverOptions>;

/// <summary>
/// DPM-Solver (Lu et al. 2022a) with the noise prediction model: the exact solution
/// x_t = alpha_t / alpha_s x_s - alpha_t int_{lambda_s}^{lambda_t} e^{-lambda} eps dlambda (eq. (3.4)) with eps expanded
/// in lambda (the authors' algorithm_type 'dpmsolver'). The final time must be positive: at t = 0 lambda is infinite;
/// use denoiseToZero, or <see cref="DpmSolverPlusPlus"/>.
/// </summary>
public sealed class DpmSolver(DpmSolverOptions options) : ISolver
{
    readonly DpmSolverEngine engine = new(options, DpmPrediction.Noise, "dpm-solver");

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) => engine.Check(schedule, times);

    public int Evaluations(IReadOnlyList<double> times) => engine.Evaluations(times);

    public Tensor Sample(SamplingContext context) => engine.Sample(context);
}
