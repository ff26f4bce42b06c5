using Pipeline.Schedules;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Dpm;

[Plugin(PluginKinds.Solver, "dpm-solver++", Aliases = "dpmsolver++,dpm_solver_pp,dpmpp,dpm-solver-pp",
    Summary = "DPM-Solver++ (Lu et al. 2022b): exponential integrator in log-SNR on the data prediction; orders 1-3, multistep (2M/3M), singlestep (2S/3S) or adaptive; may end at t = 0")]
public sealed class DpmSolverPlusPlusExport : PluginExport<DpmSolverPlusPlus, DpmSolverOptions>;

/// <summary>
/// DPM-Solver++ (Lu et al. 2022b) with the data prediction model: x_t = sigma_t / sigma_s x_s +
/// sigma_t int_{lambda_s}^{lambda_t} e^{lambda} x_0 dlambda with x_0 expanded in lambda (the authors' algorithm_type
/// 'dpmsolver++'). A step into t = 0 is the data prediction at its start (the limit of the first-order step).
/// </summary>
public sealed class DpmSolverPlusPlus(DpmSolverOptions options) : ISolver
{
    readonly DpmSolverEngine engine = new(options, DpmPrediction.Data, "dpm-solver++");

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) => engine.Check(schedule, times);

    public int Evaluations(IReadOnlyList<double> times) => engine.Evaluations(times);

    public Tensor Sample(SamplingContext context) => engine.Sample(context);
}
