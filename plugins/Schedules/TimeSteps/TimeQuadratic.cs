using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "time-quadratic", Aliases = "quadratic,time_quadratic",
    Summary = "Times uniform in sqrt(t) (DPM-Solver skip type 'time_quadratic', DDIM's quadratic skip)")]
public sealed class TimeQuadraticExport : PluginExport<TimeQuadratic, TimeRangeOptions>;

/// <summary>t_i = linspace(sqrt(tStart), sqrt(tEnd), steps + 1)^2 (DPM-Solver code, t_order = 2; DDIM app. D.2).</summary>
public sealed class TimeQuadratic : ITimeStepSchedule
{
    const string Name = "time-steps 'time-quadratic'";
    readonly TimeRangeOptions options;

    public TimeQuadratic(TimeRangeOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    public double[] Times(INoiseSchedule schedule)
    {
        var (start, end) = options.Resolve(schedule, Name);
        var roots = NumPy.Linspace(Math.Sqrt(start), Math.Sqrt(end), options.Steps + 1);
        var times = roots.Select(r => r * r).ToArray();
        // Squaring the square roots moves the ends by an ulp; they are the requested times exactly.
        times[0] = start;
        times[^1] = end;
        return TimeList.Check(times, schedule, Name, "check 'tStart' and 'tEnd'");
    }
}
