using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Options;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Amed;

[Plugin(PluginKinds.Solver, "amed", Aliases = "amed-solver,amed-plugin",
    Summary = "AMED-Solver / AMED-Plugin (Zhou et al. 2024): learned intermediate time and scale per step (a table, or per sample from a network on the state or the UNet bottleneck) from an amed.json trained by 'amed-train'; 2 NFE per step, the first analytic")]
public sealed class AmedSolverExport : PluginExport<AmedSolver, AmedSolverOptions>;

public sealed class AmedSolverOptions
{
    [Description("the amed.json written by the 'amed-train' optimizer (relative to the definition's folder)"), Required]
    [FilePath]
    public string Predictor { get; set; } = "";

    [Description("the step the predictor drives: 'amed' (AMED-Solver), 'ipndm' or 'dpm-solver-pp' (AMED-Plugin on iPNDM or DPM-Solver++(2M)); null = the one the file was trained for, which it must match")]
    public AmedBase? Base { get; set; }
}

/// <summary>
/// AMED-Solver (Zhou, Chen, Chen, Wang 2024, "Fast ODE-based Sampling for Diffusion Models in Around 5 Steps"),
/// with a trained predictor, or the AMED-Plugin on iPNDM. Per step n (see <see cref="AmedStep"/>):
/// the slope at t_n (analytic on the first step), the intermediate time s_n from r_n, one evaluation there, and the
/// update with scale c_n. Per step the predictor is either the table (r_n, c_n), the same for every sample, or a
/// tiny network (<see cref="AmedHead"/>) on the sample's state or the model's bottleneck features at t_n that picks
/// (r, c) per sample; samples then sit at different s_n, evaluated in one NFE (<see cref="IDenoiser"/>'s per-sample
/// Predict).
/// </summary>
public sealed class AmedSolver : ISolver
{
    readonly string file;

    public AmedSolver(AmedSolverOptions options, RunEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(options.Predictor))
            throw new PipelineInputException("amed needs 'predictor': the amed.json written by the 'amed-train' optimizer", "$.solver.predictor");
        file = environment.Resolve(options.Predictor);
        Parameters = AmedParameters.Load(file, "$.solver.predictor");
        // c scales a tensor in the run's dtype; a value the dtype cannot hold fails inside libtorch mid-run.
        for (int i = 0; i < Parameters.Steps.Length; i++)
            if (PrecisionRange.Problem(environment.DType, $"step {i}'s c", Parameters.Steps[i].C) is { } problem)
                throw new PipelineInputException(
                    $"AMED predictor file '{file}' cannot run in {PrecisionRange.Name(environment.DType)}: {problem}; train it again (c is near 1 in a trained file)",
                    "$.solver.predictor");
        if (options.Base is AmedBase requested && requested != Parameters.Base)
            throw new PipelineInputException(
                $"amed: 'base' is '{Name(requested)}' but '{file}' was trained for '{Name(Parameters.Base)}'; drop 'base' or train for '{Name(requested)}'",
                "$.solver.base");
    }

    /// <summary>A solver over parameters in memory (the trainer's own scoring).</summary>
    internal AmedSolver(AmedParameters parameters, string description)
    {
        file = description;
        Parameters = parameters;
    }

    public AmedParameters Parameters { get; }

    public IEnumerable<string> Check(INoiseSchedule schedule, IReadOnlyList<double> times)
    {
        var problems = TimesCheck.Problems("amed", schedule, times).ToList();
        if (problems.Count > 0) return problems;
        return Parameters.Mismatch(schedule, times, file);
    }

    public int Evaluations(IReadOnlyList<double> times) =>
        AmedParameters.Evaluations(times.Count - 1, Parameters.AnalyticFirstStep);

    public Tensor Sample(SamplingContext context)
    {
        using var amed = new AmedStep(Parameters.Base, Parameters.MaxOrder);
        return StepLoop.Run(context, (x, step) =>
        {
            var (from, to) = (step.From, step.To);
            var p = Parameters.Steps[step.Index];
            bool analytic = step.Index == 0 && Parameters.AnalyticFirstStep;
            var output = analytic ? default : context.Model.Predict(x, from.T);
            var eps = analytic ? AmedStep.AnalyticEpsilon(x, from) : output.Epsilon;
            amed.Begin(x, from, eps, analytic, Parameters.LowerOrderFinal && step.Index == Parameters.Steps.Length - 1);
            if (p.Head is not AmedHead head) return amed.Step(context.Model, x, from, to, p);
            var (r, c) = head.Decide(HeadInput(head, x, eps, output.Features, from, step.Index));
            return amed.Step(context.Model, x, from, to, r, c);
        });
    }

    /// <summary>What step <paramref name="index"/>'s network reads: the state, or the model's features at t_n.</summary>
    internal Tensor HeadInput(AmedHead head, Tensor x, Tensor eps, Tensor? features, TimePoint from, int index)
    {
        if (head.Input == AmedInput.Bottleneck && features is null)
            throw new PipelineInputException(
                $"amed: '{file}' reads the model's bottleneck features at step {index + 1}, but this model gives none (models that do: mnist-unet); " +
                "train the predictor again with 'input': 'state'", "$.solver.predictor");
        var input = head.Input == AmedInput.State ? AmedHead.StateInput(x, eps, from) : features!;
        if (input.dim() != 2 || input.shape[1] != head.Features)
            throw new PipelineInputException(
                $"amed: the network of step {index + 1} in '{file}' was trained on {head.Features} {OptionsConventions.EnumName(head.Input.ToString())} inputs per sample " +
                $"but this pipeline gives {(input.dim() == 2 ? input.shape[1] : input.numel())}; train the predictor for this model and sample shape", "$.solver.predictor");
        return input;
    }

    internal static string Name(AmedBase b) => OptionsConventions.EnumName(b.ToString());
}
