using System.Diagnostics;
using System.Text.Json;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
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
            var teacher = AmedTeacher.Create(options.Teacher);
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
            int trials = 0;
            for (int i = 0; i < steps; i++)
            {
                var (from, to) = (points[i], points[i + 1]);
                foreach (var b in batches)
                    using (NewDisposeScope())
                        b.Amed.Begin(i == 0 && options.AnalyticFirstStep ? AmedStep.AnalyticEpsilon(b.X, from) : b.Model.Epsilon(b.X, from.T));

                Fit Trial(double r)
                {
                    trials++;
                    context.Cancellation.ThrowIfCancellationRequested();
                    return Fit.Of(batches.Select(b => b.Sums(i, r, from, to)), elements);
                }

                var midpoint = Trial(0.5);
                var (bestR, best) = Search(Trial, (0.5, midpoint.Best));
                trained[i] = new AmedStepParameters
                {
                    R = bestR, C = best.C, Loss = best.Loss, MidpointLoss = midpoint.LossAt(1),
                };
                foreach (var b in batches) b.Advance(trained[i], from, to);
                context.Report(i + 1, steps, $"step {i + 1}/{steps}: r = {bestR:F4}, c = {best.C:F4}, RMSE to teacher {Math.Sqrt(best.Loss):E2} (midpoint {Math.Sqrt(midpoint.LossAt(1)):E2})");
            }
            double seconds = clock.Elapsed.TotalSeconds;

            var teacherGrid = AmedTeacher.Grid(target.Schedule, times, options.TeacherSteps);
            int teacherNfe = teacher.Evaluations(teacherGrid);
            var parameters = new AmedParameters
            {
                Base = options.Base,
                MaxOrder = options.MaxOrder,
                AnalyticFirstStep = options.AnalyticFirstStep,
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

    /// <summary>
    /// Grid over r in (0, 1), then golden-section search between the best grid point's neighbours; the result is never
    /// worse than <paramref name="start"/> (the midpoint, already evaluated).
    /// </summary>
    (double R, (double C, double Loss) Best) Search(Func<double, Fit> trial, (double R, (double C, double Loss) Fit) start)
    {
        int g = options.GridPoints;
        double Position(int k) => (k + 1.0) / (g + 1);
        var values = Enumerable.Range(0, g).Select(k => trial(Position(k)).Best).ToArray();
        int kBest = Array.IndexOf(values, values.MinBy(v => v.Loss));
        var (bestR, best) = start;

        if (values[kBest].Loss < best.Loss) (bestR, best) = (Position(kBest), values[kBest]);
        double lo = kBest / (g + 1.0), hi = (kBest + 2.0) / (g + 1);
        double a = hi - InverseGolden * (hi - lo), b = lo + InverseGolden * (hi - lo);
        var fa = trial(a).Best;
        var fb = trial(b).Best;
        for (int it = 0; it < options.RefineIterations; it++)
        {
            if (fa.Loss < best.Loss) (bestR, best) = (a, fa);
            if (fb.Loss < best.Loss) (bestR, best) = (b, fb);
            if (fa.Loss <= fb.Loss)
            {
                (hi, b, fb) = (b, a, fa);
                a = hi - InverseGolden * (hi - lo);
                fa = trial(a).Best;
            }
            else
            {
                (lo, a, fa) = (a, b, fb);
                b = lo + InverseGolden * (hi - lo);
                fb = trial(b).Best;
            }
        }
        if (fa.Loss < best.Loss) (bestR, best) = (a, fa);
        if (fb.Loss < best.Loss) (bestR, best) = (b, fb);
        return (bestR, best);
    }

    static AmedParameters Midpoint(AmedParameters p) => new()
    {
        Base = p.Base, MaxOrder = p.MaxOrder, AnalyticFirstStep = p.AnalyticFirstStep, Times = p.Times, Lambdas = p.Lambdas,
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
    /// The sums over all samples that fix the loss as a function of c: with D = T - A,
    /// ||A + c B - T||^2 = DD - 2 c BD + c^2 BB.
    /// </summary>
    readonly record struct Sums(double BB, double BD, double DD);

    readonly record struct Fit(double BB, double BD, double DD, long Elements)
    {
        public static Fit Of(IEnumerable<Sums> parts, long elements)
        {
            double bb = 0, bd = 0, dd = 0;
            foreach (var p in parts) (bb, bd, dd) = (bb + p.BB, bd + p.BD, dd + p.DD);
            return new(bb, bd, dd, elements);
        }

        /// <summary>Mean squared error per element at scale c.</summary>
        public double LossAt(double c) => Math.Max(0, DD - 2 * c * BD + c * c * BB) / Elements;

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

        public Sums Sums(int step, double r, TimePoint from, TimePoint to)
        {
            using var scope = NewDisposeScope();
            var s = AmedStep.Intermediate(Model.Schedule, from, to, r);
            var xS = Amed.ToIntermediate(X, from, s);
            var epsS = Model.Epsilon(xS, s.T);
            var (a, b) = Amed.FromIntermediate(X, from, xS, s, epsS, to);
            // Not in place: to_type of a float64 tensor shares its storage, and the teacher's state must stay as it is.
            var b64 = b.to_type(ScalarType.Float64);
            var d64 = Targets[step].to_type(ScalarType.Float64).sub(a.to_type(ScalarType.Float64));
            return new(b64.Squared().sum().item<double>(), b64.mul(d64).sum().item<double>(), d64.Squared().sum().item<double>());
        }

        public void Advance(AmedStepParameters p, TimePoint from, TimePoint to)
        {
            Tensor next;
            using (var scope = NewDisposeScope())
                next = scope.MoveToOuter(Amed.Step(Model, X, from, to, p));
            X.Dispose();
            X = next;
        }

        public void Dispose()
        {
            X.Dispose();
            foreach (var t in Targets) t?.Dispose();
            Targets = [];
            Amed.Dispose();
            Labels?.Dispose();
            (Model as IDisposable)?.Dispose();
        }
    }
}
