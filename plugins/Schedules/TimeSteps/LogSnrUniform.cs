using Pipeline.Options;
using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "logsnr-uniform", Aliases = "logsnr,logsnr_uniform",
    Summary = "Times uniform in half log-SNR lambda (DPM-Solver skip type 'logSNR')")]
public sealed class LogSnrUniformExport : PluginExport<LogSnrUniform, TimeRangeOptions>;

/// <summary>
/// lambda_i = linspace(lambda(tStart), lambda(tEnd), steps + 1), t_i = t_lambda(lambda_i) (Lu et al. 2022, DPM-Solver,
/// sec. 3.3: the step sizes h_i in lambda are equal). For VE and EDM this is uniform in log sigma.
/// </summary>
public sealed class LogSnrUniform : ITimeStepSchedule
{
    const string Name = "time-steps 'logsnr-uniform'";
    readonly TimeRangeOptions options;

    public LogSnrUniform(TimeRangeOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    public double[] Times(INoiseSchedule schedule)
    {
        var (start, end) = options.Resolve(schedule, Name);
        if (end == 0)
            throw new PipelineInputException(
                $"{Name}: 'tEnd' = 0 has lambda = +infinity, so no uniform lambda grid reaches it; give a positive 'tEnd' (default: the schedule's tMin)");
        var lambdas = NumPy.Linspace(schedule.Lambda(start), schedule.Lambda(end), options.Steps + 1);
        var times = lambdas.Select(schedule.TimeOfLambda).ToArray();
        // The ends are the requested times, not their round trip through lambda.
        times[0] = start;
        times[^1] = end;
        return TimeList.Check(times, schedule, Name, "check 'tStart' and 'tEnd'");
    }
}
