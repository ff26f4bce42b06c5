using System.Globalization;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Models;
using Pipeline.Schedules;

namespace Pipeline.Host.Composition;

/// <summary>
/// A distilled model (<see cref="IDistilledModel"/>) samples well only as it was trained: with its own solver, on its
/// own times, on its own noise schedule (Salimans and Ho 2022, Algorithm 2 fits each student step to two teacher steps
/// on one grid). Anything else is refused where it is asked for: the solver at $.solver, the grid at $.timeSteps, the
/// schedule at $.noiseSchedule, a solver-wrapping optimizer at $.optimizers.
/// </summary>
static class DistilledModelCheck
{
    const double Tolerance = 1e-9;

    public static void Check(IDiffusionModel model, string solver, bool wrapped, INoiseSchedule schedule, IReadOnlyList<double> times, JObject doc)
    {
        if (model is not IDistilledModel distilled) return;
        var trained = distilled.Times;
        int steps = trained.Count - 1;
        string grid = string.Join(", ", trained.Take(9).Select(Format)) + (trained.Count > 9 ? ", ..." : "");
        string what = $"the model is a distilled student trained for {steps} step{(steps == 1 ? "" : "s")} of the deterministic '{distilled.Solver}' solver at t = {grid}";
        if (!string.Equals(solver, distilled.Solver, StringComparison.OrdinalIgnoreCase))
            throw DefinitionError.At(doc["solver"], $"{what}; solver '{solver}' would ask it for steps it never learned: use {{ \"type\": \"{distilled.Solver}\" }}", "$.solver");
        if (wrapped)
            throw DefinitionError.At(doc["optimizers"], $"{what}; an optimizer that changes the solver's update would ask it for steps it never learned: remove it", "$.optimizers");
        string use = $"use {{ \"type\": \"time-uniform\", \"steps\": {steps}, \"tEnd\": 0 }}";
        if (times.Count != trained.Count)
            throw DefinitionError.At(doc["timeSteps"], $"{what}, but the time steps give {times.Count - 1} step{(times.Count == 2 ? "" : "s")}: a student is sampled with its own step count only; {use}", "$.timeSteps");
        for (int i = 0; i < times.Count; i++)
            if (Math.Abs(times[i] - trained[i]) > Tolerance)
                throw DefinitionError.At(doc["timeSteps"], $"{what}, but time {i} is {Format(times[i])} instead of {Format(trained[i])}; {use}", "$.timeSteps");
        for (int i = 0; i < trained.Count; i++)
        {
            double alpha = schedule.Alpha(trained[i]);
            if (Math.Abs(alpha - distilled.Alphas[i]) > Tolerance * Math.Max(1e-3, distilled.Alphas[i]))
                throw DefinitionError.At(doc["noiseSchedule"], $"{what}; the noise schedule's alpha at t = {Format(trained[i])} is {alpha:G6} but the student was trained with {distilled.Alphas[i]:G6}: " +
                    "use the noise schedule recorded with its checkpoint (training.definition.noiseSchedule)", "$.noiseSchedule");
        }
    }

    static string Format(double t) => t.ToString("0.######", CultureInfo.InvariantCulture);
}
