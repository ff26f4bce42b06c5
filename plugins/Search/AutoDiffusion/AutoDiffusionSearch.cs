using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Solvers;

namespace Pipeline.Plugins.Search.AutoDiffusion;

[Plugin(PluginKinds.OfflineOptimizer, "autodiffusion", Aliases = "auto-diffusion",
    Summary = "Evolutionary search of the time steps for an NFE budget and the pipeline's solver (Li et al. 2023); writes times.json")]
public sealed class AutoDiffusionExport : PluginExport<AutoDiffusionSearch, AutoDiffusionOptions>;

/// <summary>
/// AutoDiffusion's time-step search (Li et al. 2023, sec. 3.3, Algorithm 1, first stage only): a population of
/// schedules with the pipeline's first and last time, scored by running the pipeline with the optimization's metric
/// (the paper's FID, or the exact-ODE error on the mixture); each generation keeps the top-k schedules found so far
/// as parents and breeds the next one by crossover and mutation. The standard schedules seed the first population,
/// so the result is never worse than they are on the scoring samples.
/// </summary>
public sealed class AutoDiffusionSearch : IOfflineOptimizer
{
    const string Name = "optimizer 'autodiffusion'";
    // Draws that collide with a known candidate are repeated this often before a known one is accepted (it costs nothing).
    const int NoveltyTries = 32;

    readonly AutoDiffusionOptions options;

    public AutoDiffusionSearch(AutoDiffusionOptions options)
    {
        OptionsCheck.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    /// <summary>One solver of the search: the pipeline's (no definition) or one of the 'solvers' list.</summary>
    public sealed record SolverChoice(ISolver Solver, JsonObject? Definition, int? Index)
    {
        /// <summary>The definition as compact JSON ("dpm-solver++" unescaped), or null for the pipeline's solver.</summary>
        public string? Label => Definition?.ToJsonString(SearchOutputs.Plain);
    }

    /// <summary>The solvers to search: the 'solvers' list built by the host, or the pipeline's solver.</summary>
    public IReadOnlyList<SolverChoice> Solvers(IOptimizationTarget target) =>
        options.Solvers is { } list
            ? list.Select((d, i) => new SolverChoice(target.CreateSolver(d, $"$.optimizer.solvers[{i}]"), d, i)).ToList()
            : [new SolverChoice(target.Solver, null, null)];

    public IEnumerable<string> Check(IOptimizationTarget target)
    {
        try
        {
            foreach (var choice in Solvers(target))
                if (!Spaces(target, choice.Solver).Any())
                    return [$"{Name}: no step count fits the budget {options.Budget ?? options.Nfe} with the solver {choice.Label ?? target.Solver.GetType().Name}; raise 'budget'"];
            return [];
        }
        catch (PipelineInputException e)
        {
            return [e.Message];
        }
    }

    /// <summary>The search space of the pipeline's solver.</summary>
    public TimeCoordinates Plan(IOptimizationTarget target) => Plan(target, target.Solver);

    /// <summary>The search space: the largest step count whose NFE with <paramref name="solver"/> fits the budget.</summary>
    public TimeCoordinates Plan(IOptimizationTarget target, ISolver solver) =>
        Shared.StepBudget.Fit(target, solver, options.Nfe ?? target.Solver.Evaluations(target.Times), options.Space, Name);

    public IReadOnlyDictionary<string, object?> Optimize(OptimizationContext context)
    {
        var target = context.Target;
        var choices = Solvers(target);
        var runs = new List<(SolverChoice Choice, Run Run)>();
        int offset = 0;
        foreach (var choice in choices)
        {
            foreach (var (space, structure) in Spaces(target, choice.Solver))
            {
                var run = new Run(this, context, space, choice, offset, structure);
                offset += run.Total;
                runs.Add((choice, run));
            }
        }
        foreach (var (_, run) in runs) run.Search();
        var scored = runs.Where(r => r.Run.Best is not null).ToList();
        if (scored.Count == 0)
            throw new PipelineInputException(
                $"{Name}: no candidate could be scored; the first problem: {runs.SelectMany(r => r.Run.Met).FirstOrDefault()?.Problem ?? "the search budget allowed none"}");
        var (bestChoice, bestRun) = scored.MinBy(r => r.Run.Best!.Value)!;
        SearchOutputs.Write(context.OutputDirectory, bestRun.Best!.Times, runs.SelectMany(r => r.Run.Met).ToList(), bestChoice.Definition);
        // With several step counts per solver (the structure search), each solver's best over them.
        scored = scored.GroupBy(r => r.Choice.Index).Select(g => g.MinBy(r => r.Run.Best!.Value)).ToList();
        // Each solver's own best times too (times-<i>.json, i its place in 'solvers'), so every pair can be compared.
        foreach (var (choice, run) in scored.Where(r => r.Choice.Index is not null))
            SearchOutputs.WriteTimes(context.OutputDirectory, run.Best!.Times, choice.Definition, SearchOutputs.TimesFileOf(choice.Index));
        var summary = bestRun.Summary();
        if (options.Structure)
        {
            var best = bestRun.Best!;
            var structure = bestRun.Structure!;
            SearchOutputs.WriteStructure(context.OutputDirectory, best.Times, structure.Names(best.Skip!), best.Cost!.Value,
                structure.Budget, ((ISkippableBlocks)target.Model).CostUnit, bestChoice.Definition);
            // Each step count's best, so a report can show what more steps with skipped blocks gave.
            summary["stepCounts"] = runs.Where(r => r.Run.Best is not null).Select(r => (object?)new Dictionary<string, object?>
            {
                ["solver"] = Plain(r.Choice.Definition),
                ["steps"] = r.Run.Steps,
                ["bestFitness"] = r.Run.Best!.Fitness,
                ["cost"] = r.Run.Best!.Cost,
                ["skipped"] = r.Run.Structure!.Names(r.Run.Best!.Skip!),
            }).ToList();
        }
        if (options.Solvers is not null)
        {
            summary["solver"] = Plain(bestChoice.Definition);
            // Every (solver, searched times) pair with its standard schedules, so a report can show the whole choice.
            summary["pairs"] = scored.Select(r => (object?)new Dictionary<string, object?>(r.Run.Summary())
            {
                ["solver"] = Plain(r.Choice.Definition),
                ["file"] = SearchOutputs.TimesFileOf(r.Choice.Index),
            }).ToList();
            summary["candidates"] = runs.Sum(r => r.Run.Met.Count);
            summary["seconds"] = runs.Sum(r => r.Run.Seconds);
        }
        return summary;
    }

    /// <summary>
    /// The searches of one solver: its step count for 'nfe' (time steps alone), or with 'structure' every step count
    /// from the largest whose full evaluations fit the budget to 'extraSteps' more, each with the block masks, where
    /// the solver accepts the steps and skipping every block would fit.
    /// </summary>
    IEnumerable<(TimeCoordinates Space, StructureSpace? Structure)> Spaces(IOptimizationTarget target, ISolver solver)
    {
        if (!options.Structure)
        {
            yield return (Plan(target, solver), null);
            yield break;
        }
        if (target.Model is not ISkippableBlocks model)
            throw new PipelineInputException(
                $"{Name}: \"structure\": true needs a model that offers skippable blocks, and the model {target.Model.GetType().Name} does not; use mnist-unet or leave 'structure' out",
                "$.optimizer.structure");
        double budget = options.Budget ?? options.Nfe ?? target.Solver.Evaluations(target.Times);
        var first = Shared.StepBudget.Fit(target, solver, Math.Max(1, (int)Math.Floor(budget + 1e-9)), options.Space, Name);
        var structure = new StructureSpace(model.Blocks, solver, budget);
        for (int steps = first.Steps; steps <= first.Steps + options.ExtraSteps; steps++)
        {
            var space = steps == first.Steps ? first : new TimeCoordinates(target.Schedule, target.Times[0], target.Times[^1], steps, options.Space);
            var uniform = space.Standard().First().Times;
            if (structure.MinimumCost(uniform) > budget + 1e-9 || solver.Check(target.Schedule, uniform).Any()) continue;
            yield return (space, structure);
        }
    }

    /// <summary>A definition as dictionaries, lists and numbers, which any serializer of report.json writes as the same JSON.</summary>
    static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => Plain(kv.Value)),
        JsonArray a => a.Select(Plain).ToList(),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonValue v => v.GetValue<JsonElement>().GetDouble() is var d && d == Math.Floor(d) && Math.Abs(d) < 1e15 ? (object)(long)d : d,
    };

    /// <summary>
    /// Fingerprint of everything that decides the search's choices and scores as far as the optimizer can see it:
    /// the options, the times' ends and count, the solver (its definition, or the pipeline's solver type), schedule
    /// and model types and the samples' count and shape.
    /// </summary>
    string Fingerprint(IOptimizationTarget target, TimeCoordinates space, SolverChoice choice)
    {
        var text = JsonSerializer.Serialize(new
        {
            options = JsonSerializer.Serialize(options),
            space.Start, space.End, space.Steps,
            solver = choice.Label ?? target.Solver.GetType().FullName,
            blocks = (target.Model as ISkippableBlocks)?.Blocks.Select(b => $"{b.Name}:{b.Cost:R}"),
            schedule = target.Schedule.GetType().FullName,
            model = target.Model.GetType().FullName,
            target.Count, target.SampleShape,
        });
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>One search: the replay of generations from the seed, with scores from the saved state where it has them.</summary>
    sealed class Run
    {
        readonly AutoDiffusionOptions options;
        readonly OptimizationContext context;
        readonly TimeCoordinates space;
        readonly SolverChoice choice;
        readonly string stateFile;
        // Progress counts run on from the searches of the solvers before this one.
        readonly int offset;
        readonly SearchState state;
        readonly Dictionary<string, ScoredCandidate> saved;
        // The candidates in the order this run meets them; parents and novelty come from it alone, never from
        // the saved state, so a resumed run makes exactly the choices of an uninterrupted one.
        readonly List<ScoredCandidate> met = [];
        readonly Dictionary<string, ScoredCandidate> metKeys = [];
        // The coordinates each met schedule was made from: parents breed from these, not from a round trip through
        // t (which moves them by an ulp and would make a known schedule look new).
        readonly Dictionary<string, Genome> genomes = [];
        readonly StructureSpace? structure;
        readonly Dictionary<string, double> baselines = [];
        readonly Stopwatch clock = new();
        readonly int total;
        readonly int resumed;
        readonly double priorSeconds;
        bool stopped;
        int generationReached;

        public Run(AutoDiffusionSearch search, OptimizationContext context, TimeCoordinates space, SolverChoice choice, int offset, StructureSpace? structure = null)
        {
            this.structure = structure;
            options = search.options;
            this.context = context;
            this.space = space;
            this.choice = choice;
            this.offset = offset;
            stateFile = SearchState.FileFor(choice.Index, structure is null ? null : space.Steps);
            var hash = search.Fingerprint(context.Target, space, choice);
            state = SearchState.Load(context.StateDirectory, hash, stateFile) ?? new SearchState { Hash = hash };
            saved = state.Candidates.GroupBy(c => Key(c.Times, c.Skip)).ToDictionary(g => g.Key, g => g.First());
            resumed = saved.Count;
            priorSeconds = state.Seconds;
            int planned = options.Population * (options.Iterations + 1);
            total = Math.Min(planned, options.MaxCandidates ?? planned);
        }

        public double Seconds => priorSeconds + clock.Elapsed.TotalSeconds;

        /// <summary>The block masks searched with the times, or null for the time steps alone.</summary>
        public StructureSpace? Structure => structure;

        public int Steps => space.Steps;

        /// <summary>Candidates this search may score (its share of the progress bar).</summary>
        public int Total => total;

        /// <summary>The candidates in the order this search met them.</summary>
        public IReadOnlyList<ScoredCandidate> Met => met;

        /// <summary>The best scored candidate, or null when none could be scored.</summary>
        public ScoredCandidate? Best => met.Where(c => c.Fitness is not null).MinBy(c => c.Value);

        bool Exhausted =>
            metKeys.Count >= (options.MaxCandidates ?? int.MaxValue) ||
            (options.MaxSeconds is double limit && Seconds >= limit);

        static string Key(IEnumerable<double> times, IReadOnlyList<bool[]>? skip = null) =>
            string.Join(",", times.Select(t => t.ToString("R", CultureInfo.InvariantCulture))) +
            (skip is null ? "" : "|" + string.Join(",", skip.Select(m => new string(m.Select(b => b ? '1' : '0').ToArray()))));

        /// <summary>What parents breed from: the time coordinates and, with the structure search, the masks.</summary>
        sealed record Genome(double[] U, bool[][]? Skip);

        sealed record Candidate(string Origin, double[] Times, bool[][]? Skip);

        /// <summary>Within the budget, or null: the masks repaired by skipping more blocks (the times alone: unchanged).</summary>
        bool[][]? Fit(double[] times, bool[][]? skip, SearchRandom random) =>
            structure is null ? null : structure.Repair(times, skip ?? structure.Full(space.Steps), random);

        public void Search()
        {
            if (resumed > 0)
                context.Report(offset, offset + total, $"resuming: {resumed} candidates already scored");
            var random = new SearchRandom(options.Seed, 0);
            var first = new List<Candidate>();
            foreach (var (name, times) in space.Standard())
            {
                // With the structure search the standard times run every block where the budget allows it (they
                // are then the time-only baselines); at more steps blocks are skipped at random until they fit.
                var skip = Fit(times, null, random);
                if (structure is not null && skip is null) continue;
                bool full = skip is null || skip.All(m => !m.Any(b => b));
                var candidate = new Candidate(full ? name : name + "+skip", times, skip);
                first.Add(candidate);
                genomes.TryAdd(Key(times, skip), new Genome(space.Coordinates(times), skip));
            }
            while (first.Count < options.Population)
                first.Add(Draw(first, "random", () =>
                    Evolution.Random(space.Interior, random) is { } u
                        ? new Genome(u, structure?.Random(space.Steps, options.SkipProbability, random))
                        : null, random));
            foreach (var candidate in first)
            {
                var scored = Score(candidate, 0);
                if (scored is not null && space.Standard().Any(s => s.Name == candidate.Origin)) baselines[candidate.Origin] = scored.Value;
                if (stopped) return;
            }

            for (int generation = 1; generation <= options.Iterations; generation++)
            {
                generationReached = generation;
                var parents = Parents();
                random = new SearchRandom(options.Seed, generation);
                int crossovers = parents.Count >= 2 ? (int)Math.Round(options.CrossoverShare * options.Population) : 0;
                var children = new List<Candidate>();
                for (int i = 0; i < options.Population; i++)
                {
                    bool cross = i < crossovers;
                    children.Add(Draw(children, cross ? "crossover" : "mutation", () =>
                    {
                        var a = parents[random.Next(parents.Count)];
                        if (!cross)
                        {
                            // With masks, a mutation moves either the times or the masks (the paper mutates both
                            // parts of the genome; one at a time keeps good times while the masks are refined).
                            if (a.Skip is not null && random.Chance(0.5))
                                return new Genome(a.U, structure!.Mutate(a.Skip, options.MaskMutationProbability, random));
                            return Evolution.Mutate(a.U, options.MutationProbability, options.MutationScale, random) is { } moved
                                ? new Genome(moved, a.Skip)
                                : null;
                        }
                        var b = parents[random.Next(parents.Count)];
                        if (ReferenceEquals(a, b)) return null;
                        return Evolution.Crossover(a.U, b.U, random) is { } u
                            ? new Genome(u, a.Skip is null ? null : StructureSpace.Crossover(a.Skip, b.Skip!, random))
                            : null;
                    }, random));
                }
                foreach (var child in children)
                {
                    Score(child, generation);
                    if (stopped) return;
                }
            }
        }

        /// <summary>
        /// A new schedule from <paramref name="make"/>: draws that collide or repeat a known candidate are redrawn a
        /// few times; after that a repeat is accepted (its score is known and costs nothing).
        /// </summary>
        Candidate Draw(List<Candidate> batch, string origin, Func<Genome?> make, SearchRandom random)
        {
            Candidate? fallback = null;
            for (int attempt = 0; attempt < NoveltyTries; attempt++)
            {
                if (make() is not { } genome || space.Times(genome.U) is not { } times) continue;
                var skip = Fit(times, genome.Skip, random);
                if (structure is not null && skip is null) continue;
                var key = Key(times, skip);
                genomes.TryAdd(key, new Genome(genome.U, skip));
                var candidate = new Candidate(origin, times, skip);
                if (!metKeys.ContainsKey(key) && !batch.Any(b => Key(b.Times, b.Skip) == key)) return candidate;
                fallback ??= candidate;
            }
            return fallback ?? batch.FirstOrDefault() ?? met.Select(c => new Candidate(c.Origin, c.Times, c.Skip)).First();
        }

        /// <summary>The top-k schedules met so far (Algorithm 1's selection), as coordinates; ties keep the earlier one.</summary>
        List<Genome> Parents()
        {
            var finite = met.Where(c => c.Fitness is not null).ToList();
            if (finite.Count == 0)
                throw new PipelineInputException(
                    $"{Name}: none of the {met.Count} first candidates could be scored; the first problem: {met.FirstOrDefault()?.Problem ?? "none recorded"}");
            return finite.OrderBy(c => c.Value).Take(options.TopK).Select(c => genomes[Key(c.Times, c.Skip)]).ToList();
        }

        ScoredCandidate? Score(Candidate candidate, int generation)
        {
            var (origin, times, skip) = candidate;
            var key = Key(times, skip);
            if (metKeys.TryGetValue(key, out var known)) return known;
            if (Exhausted)
            {
                stopped = true;
                return null;
            }
            if (!saved.TryGetValue(key, out var scored))
            {
                scored = Evaluate(times, skip, generation, origin);
                saved[key] = scored;
                state.Candidates.Add(scored);
                state.Generation = generation;
                state.Seconds = Seconds;
                state.Save(context.StateDirectory, stateFile);
            }
            met.Add(scored);
            metKeys.Add(key, scored);
            var best = met.MinBy(c => c.Value)!;
            context.Report(offset + metKeys.Count, offset + total,
                $"{(choice.Label is { } l ? l + ": " : "")}generation {generation}/{options.Iterations}, candidate {metKeys.Count} of {total} ({origin}): " +
                $"{Format(scored.Fitness)}; best {Format(best.Fitness)}");
            return scored;
        }

        ScoredCandidate Evaluate(double[] times, bool[][]? skip, int generation, string origin)
        {
            var candidate = new ScoredCandidate { Generation = generation, Origin = origin, Times = times, Solver = choice.Label, Skip = skip };
            // The model applies the candidate's masks while the pipeline runs, and runs every block again after.
            var model = skip is null ? null : (ISkippableBlocks)context.Target.Model;
            var previous = model?.Structure;
            clock.Start();
            try
            {
                if (model is not null)
                {
                    candidate.Cost = structure!.Cost(times, skip!);
                    model.Structure = new BlockStructure(times, skip!);
                }
                var score = context.Target.Score(times, choice.Index is null ? null : choice.Solver, context.Cancellation);
                candidate.Nfe = score.Nfe;
                candidate.Seconds = score.Seconds;
                candidate.Scores = score.Scores.ToDictionary(kv => kv.Key, kv => kv.Value);
                if (double.IsFinite(score.Value)) candidate.Fitness = score.Value;
                else candidate.Problem = $"the metric gave {score.Value}";
            }
            catch (PipelineInputException e)
            {
                // A schedule the solver refuses, or one whose samples blow up, is a bad candidate, not a failed search.
                candidate.Problem = e.Message;
            }
            finally
            {
                if (model is not null) model.Structure = previous;
                clock.Stop();
            }
            return candidate;
        }

        static string Format(double? value) => value is double v ? v.ToString("G5", CultureInfo.InvariantCulture) : "failed";

        /// <summary>This search's result for report.json; its best candidate must exist.</summary>
        public Dictionary<string, object?> Summary()
        {
            var best = Best!;
            return new Dictionary<string, object?>
            {
                ["file"] = SearchOutputs.TimesFile,
                ["candidatesFile"] = SearchOutputs.CandidatesFile,
                ["steps"] = space.Steps,
                ["nfe"] = best.Nfe,
                ["bestFitness"] = best.Fitness,
                ["bestScores"] = best.Scores,
                ["bestOrigin"] = best.Origin,
                ["bestGeneration"] = best.Generation,
                ["times"] = best.Times,
                ["baselines"] = baselines.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? kv.Value : (double?)null),
                ["candidates"] = metKeys.Count,
                ["generations"] = generationReached,
                ["resumedCandidates"] = resumed,
                ["seconds"] = Seconds,
                ["cost"] = best.Cost,
                ["budget"] = structure?.Budget,
                ["structureFile"] = structure is null ? null : SearchOutputs.StructureFile,
                ["skipped"] = best.Skip is null ? null : structure!.Names(best.Skip),
            };
        }
    }
}
