using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "time-uniform", Aliases = "uniform,time_uniform",
    Summary = "Times uniform in t from tStart to tEnd (DPM-Solver skip type 'time_uniform')")]
public sealed class TimeUniformExport : PluginExport<TimeUniform, TimeRangeOptions>;

/// <summary>t_i = linspace(tStart, tEnd, steps + 1) (Lu et al. 2022, DPM-Solver, sec. 3.3 and app. C).</summary>
public sealed class TimeUniform : ITimeStepSchedule
{
    const string Name = "time-steps 'time-uniform'";
    readonly TimeRangeOptions options;

    public TimeUniform(TimeRangeOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    public double[] Times(INoiseSchedule schedule)
    {
        var (start, end) = options.Resolve(schedule, Name);
        return TimeList.Check(NumPy.Linspace(start, end, options.Steps + 1), schedule, Name, "check 'tStart' and 'tEnd'");
    }
}
