using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Plugins;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace MySolver;

// The name in JSON definitions: "solver": { "type": "mysolver" }. `pipeline list solver` shows it with its options.
[Plugin(PluginKinds.Solver, "mysolver", Summary = "First-order DDIM step (Song et al. 2021, eq. (12) with eta = 0)")]
public sealed class MySolverExport : PluginExport<MySolver, MySolverOptions>;

/// <summary>The solver's options: JSON keys are the camelCase property names; the initial values are the defaults.</summary>
public sealed class MySolverOptions
{
    [Description("Multiplies the data-prediction part of each step's change (1 = DDIM)"), Range(0.0, 2.0)]
    public double Scale { get; set; } = 1.0;
}

/// <summary>
/// Deterministic DDIM (Song et al. 2021, eq. (12) with eta = 0) in its data-prediction form:
/// x_t = (sigma_t / sigma_s) x_s + (alpha_t - alpha_s sigma_t / sigma_s) x_0(x_s, s),
/// which is exact down to sigma_t = 0 and equals the first-order DPM-Solver++ step.
/// </summary>
public sealed class MySolver(MySolverOptions options) : ISolver
{
    /// <summary>Each step reads only x and its own two times, so online optimizers may act between steps.</summary>
    public bool OneStep => true;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        if (schedule.Sigma(times[0]) <= 0) yield return "mysolver needs sigma > 0 at the first time";
    }

    public Tensor Sample(SamplingContext context)
    {
        // SOLVER KIT: this hand-written loop (a dispose scope per step, disposal of the previous x, reporting and
        // cancellation, the schedule's alpha and sigma at both times) is what the Pipeline.SolverKit step loop does;
        // with the kit referenced (see MySolver.csproj) the body shrinks to the two lines of the update.
        var schedule = context.Schedule;
        var x = context.Initial;                        // the caller's: never modified, never disposed
        for (int i = 0; i < context.Steps; i++)
        {
            double s = context.Times[i], t = context.Times[i + 1];
            double ratio = schedule.Sigma(t) / schedule.Sigma(s);
            double dataWeight = (schedule.Alpha(t) - schedule.Alpha(s) * ratio) * options.Scale;
            Tensor next;
            using (var scope = NewDisposeScope())
            {
                var x0 = context.Model.Data(x, s);
                // Scalars are explicit and alive until the native call returns (TorchSharp frees them in a finalizer).
                using var r = ratio.ToScalar();
                using var w = dataWeight.ToScalar();
                next = scope.MoveToOuter(x.mul(r).add_(x0, w));
            }
            if (!ReferenceEquals(x, context.Initial)) x.Dispose();
            x = next;
            context.Completed(i, x);
        }
        return ReferenceEquals(x, context.Initial) ? x.clone() : x;
    }
}
