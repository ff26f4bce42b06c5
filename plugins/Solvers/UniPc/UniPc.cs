using Pipeline.Models;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers;

[Plugin(PluginKinds.Solver, "unipc", Aliases = "uni-pc,uni_pc,unipc-multistep",
    Summary = "UniPC (Zhao et al. 2023): multistep predictor UniP-p with the free corrector UniC; data or noise prediction, B(h) bh1/bh2; any schedule")]
public sealed class UniPcExport : PluginExport<UniPc, UniPcOptions>;

/// <summary>
/// UniPC-p (Zhao et al. 2023), multistep, one model evaluation per step. Each step from s to t:
/// <list type="number">
/// <item>the model output m_0 at s (data or noise prediction) joins the history, unless the corrector of the previous
/// step already evaluated it;</item>
/// <item>UniP-p: x_t from m_0 and the p - 1 earlier outputs (see <see cref="UniPcCoefficients"/>);</item>
/// <item>UniC-p (all steps but the last): m_t = model(x_t, t), then x_t is recomputed with m_t as one more point,
/// which raises the order by one. m_t, taken at the uncorrected x_t, is the next step's m_0: the corrector costs no
/// evaluation.</item>
/// </list>
/// A step into t = 0 (clean data, lambda = +infinity) returns the x_0 prediction of m_0, the first-order step's limit
/// sigma_t -> 0, for both predictions. The higher-order terms of the data prediction diverge there (a polynomial in
/// lambda extrapolated to lambda = infinity); those of the noise prediction have a finite limit, which is not used.
/// </summary>
public sealed class UniPc(UniPcOptions options) : ISolver
{
    bool Data => options.Prediction == UniPcPrediction.Data;

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times) =>
        TimesCheck.Problems("unipc", schedule, times);

    /// <summary>One per step: the corrector's evaluation at a step's end is the next step's evaluation.</summary>
    public int Evaluations(IReadOnlyList<double> times) => Math.Max(times.Count - 1, 0);

    public Tensor Sample(SamplingContext context)
    {
        var plan = UniPcCoefficients.Plan(options, TimePoint.Along(context.Schedule, context.Times));
        using var history = new MultistepHistory(options.Order);
        bool evaluatedAhead = false;
        return StepLoop.Run(context, (x, step) =>
        {
            var (s, t) = (step.From, step.To);
            var p = plan[step.Index];
            if (!evaluatedAhead) history.Push(s, Evaluate(context.Model, x, s));
            evaluatedAhead = false;

            if (step.IntoClean)
                return Data ? history[0].clone() : PredictionConversion.DataFromEpsilon(x, history[0], s.Alpha, s.Sigma);

            // UniP-p.
            var predicted = history.Combine(p.XWeight, x, p.Predictor);
            if (!p.Corrects) return predicted;

            // UniC-p with the model at the predicted point, kept as the next step's evaluation.
            var next = Evaluate(context.Model, predicted, t);
            var corrected = history.Combine(p.XWeight, x, p.Corrector).AddScaled_(p.CorrectorNew, next);
            history.Push(t, next);
            evaluatedAhead = true;
            return corrected;
        });
    }

    Tensor Evaluate(IDenoiser model, Tensor x, TimePoint at) =>
        Data ? model.Data(x, at.T) : model.Epsilon(x, at.T);
}
