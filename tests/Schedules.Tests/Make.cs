using Pipeline.Plugins.Schedules;
using Pipeline.Schedules;

namespace Pipeline.Tests;

/// <summary>Noise schedules the tests share.</summary>
static class Make
{
    public static DiscreteSchedule Linear(int n = 1000) => new(new DiscreteScheduleOptions { TrainingSteps = n });

    public static DiscreteSchedule ScaledLinear(int n = 1000) =>
        new(new DiscreteScheduleOptions { TrainingSteps = n, BetaSchedule = BetaSchedule.ScaledLinear });

    public static DiscreteSchedule Cosine(int n = 1000) =>
        new(new DiscreteScheduleOptions { TrainingSteps = n, BetaSchedule = BetaSchedule.SquaredcosCapV2 });

    public static VpLinearSchedule Vp() => new(new VpLinearScheduleOptions());

    public static VeSchedule Ve() => new(new VeScheduleOptions());

    public static EdmSchedule Edm() => new(new EdmScheduleOptions());

    public static readonly Dictionary<string, Func<INoiseSchedule>> All = new()
    {
        ["linear"] = () => Linear(),
        ["scaled-linear"] = () => ScaledLinear(),
        ["cosine"] = () => Cosine(),
        ["linear-n20"] = () => Linear(20),
        ["vp-linear"] = Vp,
        ["ve"] = Ve,
        ["edm"] = Edm,
    };

    public static TheoryData<string> Names() => new(All.Keys);

    /// <summary>Relative-or-absolute closeness: |a - b| &lt;= tol max(1, |b|).</summary>
    public static void Close(double expected, double actual, double tol, string what = "")
    {
        double err = Math.Abs(expected - actual);
        Assert.True(err <= tol * Math.Max(1.0, Math.Abs(expected)),
            $"{what}: expected {expected:R}, got {actual:R} (error {err:E3}, tolerance {tol:E1})");
    }
}
