using Pipeline.Optimizers;
using Pipeline.Plugins.Solvers;
using Pipeline.Plugins.Solvers.Amed;
using Pipeline.Plugins.Solvers.Dpm;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using Pipeline.Tests.UniPc;
using static TorchSharp.torch;

namespace Pipeline.Tests.Amed;

/// <summary>
/// The demanding mixture of the fast-solver comparison: 8-D, three components with stds 0.3 .. 0.8 and means spread over
/// [-2, 2], DDPM's linear betas (1e-4 .. 0.02, N = 1000), sampled from t = 1 to 1/N. AMED is trained on one set of
/// initial noise and scored on another.
/// </summary>
public static class AmedProblem
{
    public static readonly INoiseSchedule Schedule = MultistepOracle.DiscreteLinear();
    public static readonly GaussianMixture Mixture = Harness.Mixture(8, separation: 2.0);
    public const double TStart = 1.0, TEnd = 1e-3;

    public enum Grid { LogSnr, TimeQuadratic, TimeUniform }

    public static double[] Times(Grid grid, int steps) => grid switch
    {
        Grid.LogSnr => Harness.LogSnrTimes(Schedule, TStart, TEnd, steps),
        Grid.TimeQuadratic => Enumerable.Range(0, steps + 1).Select(i =>
            i == 0 ? TStart : i == steps ? TEnd : Math.Pow(Math.Sqrt(TStart) + (Math.Sqrt(TEnd) - Math.Sqrt(TStart)) * i / steps, 2)).ToArray(),
        _ => Harness.UniformTimes(TStart, TEnd, steps),
    };

    /// <summary>Training set (seed 1) and held-out set (seed 2) at the given times.</summary>
    public static (MixtureTarget Train, MixtureTarget Test) Targets(double[] times, int trainCount = 512, int testCount = 256) =>
        (new MixtureTarget(Mixture, Schedule, times, trainCount, seed: 1), new MixtureTarget(Mixture, Schedule, times, testCount, seed: 2));

    /// <summary>Trains into a fresh folder and loads the file back through the solver's own loader.</summary>
    public static (AmedParameters Parameters, IReadOnlyDictionary<string, object?> Summary) Train(MixtureTarget target, AmedTrainerOptions options)
    {
        string folder = Path.Combine(Path.GetTempPath(), "amed-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var summary = new AmedTrainer(options).Optimize(new OptimizationContext
            {
                Target = target, OutputDirectory = folder, StateDirectory = Path.Combine(folder, "state"),
            });
            return (AmedParameters.Load(Path.Combine(folder, options.File), "$.solver.predictor"), summary);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    public static AmedSolver Solver(AmedParameters parameters) => new(parameters, "test");

    /// <summary>The baselines: DPM-Solver++(2M) and UniPC-2 / UniPC-3 (bh2), one NFE per step.</summary>
    public static IEnumerable<(string Label, ISolver Solver)> Baselines()
    {
        yield return ("dpm-solver++ 2M", new DpmSolverPlusPlus(new DpmSolverOptions { Order = 2, Method = DpmSolverMethod.Multistep }));
        yield return ("unipc-2", new Plugins.Solvers.UniPc(new UniPcOptions { Order = 2 }));
        yield return ("unipc-3", new Plugins.Solvers.UniPc(new UniPcOptions { Order = 3 }));
    }

    /// <summary>A copy with every step's r and c replaced.</summary>
    public static AmedParameters With(AmedParameters p, Func<AmedStepParameters, AmedStepParameters> change) =>
        With(p, (_, s) => change(s));

    /// <summary>A copy with each step replaced by <paramref name="change"/>(its index, the step).</summary>
    public static AmedParameters With(AmedParameters p, Func<int, AmedStepParameters, AmedStepParameters> change) => new()
    {
        Base = p.Base, MaxOrder = p.MaxOrder, AnalyticFirstStep = p.AnalyticFirstStep, LowerOrderFinal = p.LowerOrderFinal,
        Times = p.Times, Lambdas = p.Lambdas,
        Nfe = p.Nfe, Steps = p.Steps.Select((s, i) => change(i, s)).ToArray(),
    };

    /// <summary>
    /// Mean squared error per element against the exact flow at t_{i+1}, from <paramref name="initial"/> with steps
    /// 0..i-1 as in <paramref name="parameters"/> and step i replaced by <paramref name="step"/>: what the trainer records
    /// as a step's loss, computed through the solver instead of the trainer and against the exact flow instead of the teacher.
    /// </summary>
    public static double StepError(AmedParameters parameters, int i, AmedStepParameters step, Tensor initial)
    {
        var solver = Solver(With(parameters, (k, s) => k == i ? step : s));
        var after = new StateAfter(i);
        var (x, _) = Harness.Run(solver, Mixture, Schedule, initial, parameters.Times, observer: after);
        x.Dispose();
        using var state = after.State!;
        using var exact = ExactFlow.Solve(Mixture, Schedule, initial, parameters.Times[0], parameters.Times[i + 1]);
        double rmse = Harness.Rmse(state, exact);
        return rmse * rmse;
    }

    sealed class StateAfter(int step) : ISamplingObserver
    {
        public Tensor? State { get; private set; }

        public void OnStep(in StepInfo info)
        {
            if (info.Step == step) State = info.X.clone();
        }
    }
}
