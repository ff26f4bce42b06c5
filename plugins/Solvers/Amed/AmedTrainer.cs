using System.Diagnostics;
using System.Text.Json;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.SolverKit;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Amed;

[Plugin(PluginKinds.OfflineOptimizer, "amed-train", Aliases = "amed-distill",
    Summary = "Trains an AMED-Solver / AMED-Plugin predictor (Zhou et al. 2024) for the pipeline's times by distillation from a many-step teacher; writes amed.json for the 'amed' solver")]
public sealed class AmedTrainerExport : PluginExport<AmedTrainer, AmedTrainerOptions>;

/// <summary>
/// Distils AMED's (r_n, c_n) from a teacher trajectory, step by step along the student's own trajectory, with the
/// paper's loss ||x_{n+1}^student - x_{n+1}^teacher||^2 (Zhou et al. 2024). The model's time input is a
/// host double, so no gradient reaches r through the model; the optimum is instead found exactly and cheaply:
/// x_{n+1} = A(r) + c B(r) is linear in c, so for each r the best c is the least-squares c*(r) = &lt;B, T - A&gt; / &lt;B, B&gt;
/// (T the teacher), and the one-dimensional loss L(r, c*(r)) is minimised over r in (0, 1) by a uniform grid and a
/// golden-section refinement around its best point. Each trial r costs one model evaluation per batch; sums over
/// batches are exact, so the result does not depend on the batch size.
/// </summary>
public sealed class AmedTrainer(AmedTrainerOptions options) : IOfflineOptimizer
{
    static readonly double InverseGolden = (Math.Sqrt(5) - 1) / 2;

    public IEnumerable<string> Check(IOptimizationTarget target)
    {
        var times = target.Times;
        foreach (var p in TimesCheck.Problems("amed-train", target.Schedule, times)) yield return p;
        if (times.Count >= 2 && times[^1] == 0)
            yield return "amed-train: the times end at t = 0, where no intermediate time geometric in sigma / alpha exists; end the time-step schedule at its tMin (the default of logsnr-uniform, time-quadratic and time-uniform)";
        if (options.Samples is int n && n > target.Count)
            yield return $"amed-train: 'samples' = {n} but the pipeline has {target.Count} (sampling.count)";
        if (options.Input == AmedTrainerInput.Bottleneck && target.Model is not Models.IFeatureModel)
            yield return "amed-train: 'input' is 'bottleneck' but this model gives no features (models that do: mnist-unet); use 'state' or 'auto'";
        if (string.IsNullOrWhiteSpace(options.File) || options.File.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            yield return $"amed-train: 'file' ('{options.File}') must be a plain file name";
    }

    public IReadOnlyDictionary<string, object?> Optimize(OptimizationContext context)
    {
        var problems = Check(context.Target).ToList();
        if (problems.Count > 0) throw new PipelineInputException(string.Join("; ", problems));
        var target = context.Target;
        var times = target.Times.ToArray();
        var points = TimePoint.Along(target.Schedule, times);
        int steps = times.Length - 1, count = options.Samples ?? target.Count, batchSize = Math.Max(1, target.BatchSize);
        var clock = Stopwatch.StartNew();

        var batches = new List<Batch>();
        try
        {
            // Teacher trajectories, batch by batch.
            var teacher = ReferenceSolvers.Create(options.Teacher);
            for (int start = 0; start < count; start += batchSize)
            {
                int n = Math.Min(batchSize, count - start);
                var batch = new Batch(target, start, n, new AmedStep(options.Base, options.MaxOrder));
                batches.Add(batch);
                batch.Targets = AmedTeacher.Trajectory(teacher, batch.Model, target.Noise(start, n), times, options.TeacherSteps,
                    batch.X, context.Cancellation);
                context.Report(start + n, count, $"teacher trajectory ({teacher.Evaluations(AmedTeacher.Grid(target.Schedule, times, options.TeacherSteps))} NFE per sample)");
            }
            double teacherSeconds = clock.Elapsed.TotalSeconds;
            long elements = batches.Sum(b => b.X.numel());

            var trained = new AmedStepParameters[steps];
            var levels = Enumerable.Range(0, options.GridPoints).Select(Position).ToArray();
            int trials = 0;
            for (int i = 0; i < steps; i++)
            {
                var (from, to) = (points[i], points[i + 1]);
                bool analytic = i == 0 && options.AnalyticFirstStep;
                bool firstOrderToNext = options.LowerOrderFinal && options.Base == AmedBase.DpmSolverPp && i == steps - 1;
                foreach (var b in batches) b.Begin(from, analytic, firstOrderToNext, options.Input);
                var input = batches[0].InputKind;

                Fit Trial(double r)
                {
                    trials++;
                    context.Cancellation.ThrowIfCancellationRequested();
                    return Fit.Of(batches.Select(b => b.Sums(i, r, from, to)), elements);
                }

                var midpoint = Trial(0.5);
                var (bestR, best, grid) = Search(Trial, (0.5, midpoint));
                var (c, loss) = best.Best;
                trained[i] = new AmedStepParameters { R = bestR, C = c, Loss = loss, MidpointLoss = midpoint.LossAt(1) };
                string network = "";
                if (input != AmedInput.None)
                {
                    var head = TrainHead(input, levels, grid, bestR, best, batches, seed: i);
                    bool kept = head is not null && head.HoldoutLoss < head.HoldoutTableLoss;
                    trained[i].Head = kept ? head : null;
                    network = head is null ? "" :
                        $", {OptionsConventions.EnumName(input.ToString())} network RMSE {Math.Sqrt(head.HoldoutLoss!.Value):E2} vs table {Math.Sqrt(head.HoldoutTableLoss!.Value):E2} on held-out samples ({(kept ? "kept" : "not kept")})";
                }
                foreach (var b in batches) b.Advance(trained[i], from, to);
                context.Report(i + 1, steps, $"step {i + 1}/{steps}: r = {bestR:F4}, c = {c:F4}, RMSE to teacher {Math.Sqrt(loss):E2} (midpoint {Math.Sqrt(midpoint.LossAt(1)):E2}){network}");
            }
            double seconds = clock.Elapsed.TotalSeconds;

            var teacherGrid = AmedTeacher.Grid(target.Schedule, times, options.TeacherSteps);
            int teacherNfe = teacher.Evaluations(teacherGrid);
            var parameters = new AmedParameters
            {
                Base = options.Base,
                MaxOrder = options.MaxOrder,
                AnalyticFirstStep = options.AnalyticFirstStep,
                LowerOrderFinal = options.LowerOrderFinal && options.Base == AmedBase.DpmSolverPp,
                Times = times,
                Lambdas = times.Select(target.Schedule.Lambda).ToArray(),
                Nfe = AmedParameters.Evaluations(steps, options.AnalyticFirstStep),
                Steps = trained,
                Teacher = Record(new Dictionary<string, object>
                {
                    ["solver"] = OptionsConventions.EnumName(options.Teacher.ToString()),
                    ["stepsPerStep"] = options.TeacherSteps,
                    ["nfe"] = teacherNfe,
                }),
                Training = Record(new Dictionary<string, object>
                {
                    ["samples"] = count,
                    ["trialsPerStep"] = (double)trials / steps,
                    ["studentNfePerSample"] = trials + 2 * steps,
                    ["teacherSeconds"] = teacherSeconds,
                    ["seconds"] = seconds,
                }),
            };
            string file = Path.Combine(context.OutputDirectory, options.File);
            Directory.CreateDirectory(context.OutputDirectory);
            parameters.Save(file);

            var summary = new Dictionary<string, object?>
            {
                ["file"] = options.File,
                ["base"] = AmedSolver.Name(options.Base),
                ["steps"] = steps,
                ["nfe"] = parameters.Nfe,
                ["parameterCount"] = parameters.ParameterCount,
                ["networks"] = trained.Select(p => p.Head is null ? "table" : OptionsConventions.EnumName(p.Head.Input.ToString())).ToArray(),
                ["r"] = trained.Select(p => p.R).ToArray(),
                ["c"] = trained.Select(p => p.C).ToArray(),
                ["rmseToTeacher"] = trained.Select(p => Math.Sqrt(p.Loss!.Value)).ToArray(),
                ["rmseToTeacherAtMidpoint"] = trained.Select(p => Math.Sqrt(p.MidpointLoss!.Value)).ToArray(),
                ["teacher"] = OptionsConventions.EnumName(options.Teacher.ToString()),
                ["teacherNfe"] = teacherNfe,
                ["samples"] = count,
                ["trainingSeconds"] = seconds,
            };
            if (options.Score)
            {
                DisposeAll(batches);
                context.Report(0, 2, "scoring");
                var midpointParameters = Midpoint(parameters);
                var before = target.Score(times, new AmedSolver(midpointParameters, "r = 1/2, c = 1"), context.Cancellation);
                context.Report(1, 2, "scoring");
                var after = target.Score(times, new AmedSolver(parameters, options.File), context.Cancellation);
                context.Report(2, 2, "scoring");
                summary["scoreBefore"] = before.Value;
                summary["scoreAfter"] = after.Value;
                summary["scoresBefore"] = before.Scores;
                summary["scoresAfter"] = after.Scores;
            }
            return summary;
        }
        finally
        {
            DisposeAll(batches);
        }
    }

    double Position(int k) => (k + 1.0) / (options.GridPoints + 1);

    /// <summary>
    /// Grid over r in (0, 1), then golden-section search between the best grid point's neighbours; the result is never
    /// worse than <paramref name="start"/> (the midpoint, already evaluated). Returns the best r, its fit, and the fits
    /// at the grid points (the levels a per-sample network chooses among).
    /// </summary>
    (double R, Fit Best, Fit[] Grid) Search(Func<double, Fit> trial, (double R, Fit Fit) start)
    {
        int g = options.GridPoints;
        var grid = Enumerable.Range(0, g).Select(k => trial(Position(k))).ToArray();
        int kBest = Array.IndexOf(grid, grid.MinBy(v => v.Best.Loss));
        var (bestR, best) = start;

        void Consider(double r, Fit f)
        {
            if (f.Best.Loss < best.Best.Loss) (bestR, best) = (r, f);
        }

        Consider(Position(kBest), grid[kBest]);
        double lo = kBest / (g + 1.0), hi = (kBest + 2.0) / (g + 1);
        double a = hi - InverseGolden * (hi - lo), b = lo + InverseGolden * (hi - lo);
        var fa = trial(a);
        var fb = trial(b);
        for (int it = 0; it < options.RefineIterations; it++)
        {
            Consider(a, fa);
            Consider(b, fb);
            if (fa.Best.Loss <= fb.Best.Loss)
            {
                (hi, b, fb) = (b, a, fa);
                a = hi - InverseGolden * (hi - lo);
                fa = trial(a);
            }
            else
            {
                (lo, a, fa) = (a, b, fb);
                b = lo + InverseGolden * (hi - lo);
                fb = trial(b);
            }
        }
        Consider(a, fa);
        Consider(b, fb);
        return (bestR, best, grid);
    }

    /// <summary>
    /// Trains the step's network on all but every k-th training sample (k = 1 / holdout) and records its squared
    /// distance to the teacher on those held-out samples beside the table's (r, c); the caller keeps it only when it is
    /// lower: a network that does not generalise is not used. Null when there are too few samples to hold any out.
    /// </summary>
    AmedHead? TrainHead(AmedInput input, double[] levels, Fit[] grid, double tableR, Fit table, List<Batch> batches, int seed)
    {
        using var scope = NewDisposeScope();
        var inputs = cat(batches.Select(b => b.Input!).ToArray(), 0);
        long n = inputs.shape[0];
        double perSample = (double)table.Elements / n;
        Tensor Columns(Func<Fit, double[]> part)
        {
            using Scalar divisor = perSample;
            return stack(grid.Select(f => tensor(part(f), ScalarType.Float64)).ToArray(), 1).div(divisor);
        }
        var sums = new LevelSums(Columns(f => f.SampleBB), Columns(f => f.SampleBD), Columns(f => f.SampleDD));

        int every = Math.Max(2, (int)Math.Round(1 / options.Holdout));
        var held = Enumerable.Range(0, (int)n).Where(b => b % every == every - 1).Select(b => (long)b).ToArray();
        var kept = Enumerable.Range(0, (int)n).Where(b => b % every != every - 1).Select(b => (long)b).ToArray();
        if (held.Length == 0 || kept.Length == 0) return null;
        var (heldIndex, keptIndex) = (tensor(held), tensor(kept));
        var head = AmedHead.Train(input, levels, inputs.index_select(0, keptIndex), sums.Rows(keptIndex), (tableR, table.Best.C),
            options.Hidden, options.Iterations, options.LearningRate, seed);

        var (chosen, c) = head.Choose(inputs.index_select(0, heldIndex));
        head.HoldoutLoss = sums.Rows(heldIndex).Loss(chosen, c).mean().item<double>();
        var (tableC, _) = table.Best;
        head.HoldoutTableLoss = held.Select(b => table.SampleLossAt((int)b, tableC) / perSample).Average();
        return head;
    }

    static AmedParameters Midpoint(AmedParameters p) => new()
    {
        Base = p.Base, MaxOrder = p.MaxOrder, AnalyticFirstStep = p.AnalyticFirstStep, LowerOrderFinal = p.LowerOrderFinal,
        Times = p.Times, Lambdas = p.Lambdas,
        Nfe = p.Nfe, Steps = p.Steps.Select(_ => new AmedStepParameters { R = 0.5, C = 1 }).ToArray(),
    };

    static Dictionary<string, JsonElement> Record(Dictionary<string, object> values) =>
        values.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value));

    static void DisposeAll(List<Batch> batches)
    {
        foreach (var b in batches) b.Dispose();
        batches.Clear();
    }

    /// <summary>
    /// Per-sample sums that fix the loss as a function of c: with D = T - A, ||A + c B - T||^2 = DD - 2 c BD + c^2 BB.
    /// </summary>
    readonly record struct Sums(double[] BB, double[] BD, double[] DD);

    /// <summary>The sums of all training samples at one r: totals for the table, per sample for the networks.</summary>
    sealed record Fit(double BB, double BD, double DD, long Elements, double[] SampleBB, double[] SampleBD, double[] SampleDD)
    {
        public static Fit Of(IEnumerable<Sums> parts, long elements)
        {
            var list = parts.ToList();
            double[] Concat(Func<Sums, double[]> part) => list.SelectMany(part).ToArray();
            var (bb, bd, dd) = (Concat(p => p.BB), Concat(p => p.BD), Concat(p => p.DD));
            return new(bb.Sum(), bd.Sum(), dd.Sum(), elements, bb, bd, dd);
        }

        /// <summary>Mean squared error per element at scale c.</summary>
        public double LossAt(double c) => Squared(DD, BD, BB, c) / Elements;

        /// <summary>Squared error of sample b at scale c, summed over its elements.</summary>
        public double SampleLossAt(int b, double c) => Squared(SampleDD[b], SampleBD[b], SampleBB[b], c);

        static double Squared(double dd, double bd, double bb, double c) => Math.Max(0, dd - 2 * c * bd + c * c * bb);

        /// <summary>The least-squares c and its loss.</summary>
        public (double C, double Loss) Best => BB > 0 && BD > 0 ? (BD / BB, LossAt(BD / BB)) : (1, LossAt(1));
    }

    /// <summary>One batch of training samples: its bound model, the student's state, and the teacher's states.</summary>
    sealed class Batch : IDisposable
    {
        public Batch(IOptimizationTarget target, int start, int count, AmedStep amed)
        {
            Labels = target.Labels(start, count);
            Model = target.Denoiser(Labels);
            X = target.InitialNoise(start, count);
            Amed = amed;
        }

        public Tensor? Labels { get; }
        public IDenoiser Model { get; }
        public AmedStep Amed { get; }
        public Tensor X { get; private set; }
        public Tensor[] Targets { get; set; } = [];

        /// <summary>The step's network input [n, F] (float64, CPU), or null when the step has none.</summary>
        public Tensor? Input { get; private set; }

        /// <summary>What <see cref="Input"/> holds.</summary>
        public AmedInput InputKind { get; private set; }

        /// <summary>
        /// Starts a step at t_n: the slope there (model or analytic) and the network's input: none, the state (always on
        /// the analytic first step, where the model is not evaluated), or the model's features ('auto': when it gives them).
        /// </summary>
        public void Begin(TimePoint from, bool analytic, bool firstOrderToNext, AmedTrainerInput input)
        {
            Input?.Dispose();
            Input = null;
            using var scope = NewDisposeScope();
            var output = analytic ? default : Model.Predict(X, from.T);
            var eps = analytic ? AmedStep.AnalyticEpsilon(X, from) : output.Epsilon;
            Amed.Begin(X, from, eps, analytic, firstOrderToNext);
            InputKind = input switch
            {
                AmedTrainerInput.None => AmedInput.None,
                AmedTrainerInput.State => AmedInput.State,
                _ when analytic => AmedInput.State,
                AmedTrainerInput.Bottleneck => AmedInput.Bottleneck,
                _ => output.Features is null ? AmedInput.State : AmedInput.Bottleneck,
            };
            Input = InputKind switch
            {
                AmedInput.None => null,
                AmedInput.State => AmedHead.StateInput(X, eps, from),
                _ => output.Features?.to(ScalarType.Float64).cpu()
                     ?? throw new PipelineInputException("amed-train: the model gave no bottleneck features; use 'input': 'state'"),
            };
            Input?.DetachFromDisposeScope();
        }

        public Sums Sums(int step, double r, TimePoint from, TimePoint to)
        {
            using var scope = NewDisposeScope();
            var s = AmedStep.Intermediate(Model.Schedule, from, to, r);
            var xS = Amed.ToIntermediate(X, from, s);
            var epsS = Model.Epsilon(xS, s.T);
            var (a, b) = Amed.FromIntermediate(X, from, xS, s, epsS, to);
            // Not in place: to_type of a float64 tensor shares its storage, and the teacher's state must stay as it is.
            var b64 = b.to_type(ScalarType.Float64).flatten(1);
            var d64 = Targets[step].to_type(ScalarType.Float64).sub(a.to_type(ScalarType.Float64)).flatten(1);
            double[] PerSample(Tensor v) => v.sum([1]).cpu().data<double>().ToArray();
            return new(PerSample(b64.Squared()), PerSample(b64.mul(d64)), PerSample(d64.Squared()));
        }

        public void Advance(AmedStepParameters p, TimePoint from, TimePoint to)
        {
            Tensor next;
            using (var scope = NewDisposeScope())
            {
                var (r, c) = p.Head is AmedHead head ? head.Decide(Input!) : ([p.R], [p.C]);
                next = scope.MoveToOuter(Amed.Step(Model, X, from, to, r, c));
            }
            X.Dispose();
            X = next;
        }

        public void Dispose()
        {
            X.Dispose();
            Input?.Dispose();
            foreach (var t in Targets) t?.Dispose();
            Targets = [];
            Amed.Dispose();
            Labels?.Dispose();
            (Model as IDisposable)?.Dispose();
        }
    }
}
