using Pipeline.Plugins.Solvers;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.UniPc;
using Xunit.Abstractions;

namespace Pipeline.Tests.Deis;

/// <summary>What DEIS (both variants) owes the host: finite samples at every small budget, honest counts and checks, no leaks.</summary>
public class DeisContractTests(ITestOutputHelper output)
{
    static ISolver Create(int order) => new Pipeline.Plugins.Solvers.Deis(new DeisOptions { Order = order });

    [Fact]
    public void EveryOrderScheduleAndEndingGivesFiniteSamplesAtOneToEightEvaluations()
    {
        var problems = new List<string>();
        int runs = 0;
        foreach (var name in SolverRuns.ScheduleNames)
        {
            var schedule = SolverRuns.Schedule(name);
            foreach (var variant in Enum.GetValues<DeisVariant>())
            foreach (bool toZero in new[] { true, false })
                for (int order = 1; order <= 3; order++)
                    for (int nfe = 1; nfe <= 8; nfe++)
                    {
                        var times = SolverRuns.Times(schedule, nfe, toZero);
                        var options = new DeisOptions { Order = order, Variant = variant };
                        string what = $"{variant} {name} to {(toZero ? "0" : "TMin")}, order {order}, {nfe} NFE";
                        foreach (var step in DeisCoefficients.Plan(schedule, times, options))
                            if (!step.Eps.Append(step.XWeight).All(double.IsFinite))
                                problems.Add($"{what}: non-finite coefficient");
                        var problem = SolverRuns.Problem(new Pipeline.Plugins.Solvers.Deis(options), schedule, times);
                        runs++;
                        if (problem is not null) problems.Add($"{what}: {problem}");
                    }
        }
        output.WriteLine($"{runs} runs, {problems.Count} problems");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void NoTensorLeaks()
    {
        var schedule = SolverRuns.Schedule("discrete");
        SolverRuns.Leaked(() => Create(3), schedule, 2, true);   // warm-up
        Assert.Equal(0, SolverRuns.Leaked(() => Create(3), schedule, 3, true));
        Assert.Equal(0, SolverRuns.Leaked(() => Create(2), schedule, 12, false));
        Assert.Equal(0, SolverRuns.Leaked(() => Create(3), schedule, 12, true, outerScope: true));
    }

    [Fact]
    public void ChecksRejectImpossibleTimes()
    {
        INoiseSchedule schedule = SolverRuns.Schedule("discrete");
        var solver = Create(3);
        Assert.Contains("at least 1 step", Assert.Single(solver.Check(schedule, [1.0])));
        Assert.Contains("strictly decreasing", Assert.Single(solver.Check(schedule, [1.0, 0.5, 0.5, 0])));
        Assert.Contains("below the noise schedule's TMin", Assert.Single(solver.Check(schedule, [1.0, schedule.TMin / 2, 0])));
        Assert.Contains("beyond the noise schedule's TMax", Assert.Single(solver.Check(schedule, [1.5, 0.5, 0])));
        Assert.Empty(solver.Check(schedule, [1.0, 0.5, 0]));
    }

    [Fact]
    public void PanelsCoverTheIntervalSplitAtTrainingStepsAndGradedTowardsZero()
    {
        var discrete = SolverRuns.Schedule("discrete");
        var panels = DeisCoefficients.Panels(discrete, 0.0105, 0.0142).ToList();
        Assert.Equal(0.0105, panels[0].A);
        Assert.Equal(0.0142, panels[^1].B);
        for (int i = 1; i < panels.Count; i++) Assert.Equal(panels[i - 1].B, panels[i].A);
        // Knots at k / 1000 inside (0.0105, 0.0142): 0.011 .. 0.014.
        Assert.Equal(5, panels.Count);
        var continuous = SolverRuns.Schedule("vp-linear");
        var graded = DeisCoefficients.Panels(continuous, 0, 1).ToList();
        Assert.Equal((0.0, continuous.TMin), graded[0]);
        Assert.All(graded.Skip(1), p => Assert.True(p.B <= 2 * p.A * (1 + 1e-12)));
    }
}
