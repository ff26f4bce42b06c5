using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "exponential", Aliases = "exponential-sigmas,log-sigma-uniform",
    Summary = "Noise levels uniform in log(sigma / alpha) (k-diffusion get_sigmas_exponential)")]
public sealed class ExponentialSigmasExport : PluginExport<ExponentialSigmas, SigmaRangeOptions>;

/// <summary>
/// sigma_i = exp(linspace(log sigmaMax, log sigmaMin, n)) for the noise ratio sigma / alpha. Since lambda = -log(sigma / alpha)
/// this is logsnr-uniform expressed through noise levels (and, with toZero, followed by t = 0).
/// </summary>
public sealed class ExponentialSigmas : ITimeStepSchedule
{
    const string Name = "time-steps 'exponential'";
    readonly SigmaRangeOptions options;

    public ExponentialSigmas(SigmaRangeOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    public double[] Times(INoiseSchedule schedule)
    {
        var (min, max) = options.Resolve(schedule, Name);
        var sigmas = NumPy.Linspace(Math.Log(max), Math.Log(min), options.RampLength).Select(Math.Exp).ToArray();
        return TimeList.Check(options.ToTimes(sigmas, schedule), schedule, Name, "check 'sigmaMin', 'sigmaMax' and 'steps'");
    }
}
