using Pipeline.Plugins;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "karras", Aliases = "karras-sigmas,edm-steps",
    Summary = "Karras et al. 2022 eq. (5): noise levels uniform in sigma^(1/rho), rho = 7")]
public sealed class KarrasSigmasExport : PluginExport<KarrasSigmas, KarrasOptions>;

/// <summary>
/// Karras et al. 2022, eq. (5): sigma_i = (sigmaMax^(1/rho) + i / (n - 1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho,
/// i = 0 .. n-1, with sigma the noise ratio sigma(t) / alpha(t), mapped to times by the schedule's inverse.
/// n = steps + 1, or n = steps followed by t = 0 when toZero (the paper's sigma_N = 0).
/// </summary>
public sealed class KarrasSigmas : ITimeStepSchedule
{
    const string Name = "time-steps 'karras'";
    readonly KarrasOptions options;

    public KarrasSigmas(KarrasOptions options)
    {
        OptionsValidation.ThrowIfInvalid(options, Name);
        this.options = options;
    }

    /// <summary>The n noise levels of eq. (5) from <paramref name="max"/> down to <paramref name="min"/>.</summary>
    public static double[] Sigmas(int n, double min, double max, double rho)
    {
        if (n == 1) return [max];
        double a = Math.Pow(max, 1 / rho), b = Math.Pow(min, 1 / rho);
        var sigmas = new double[n];
        for (int i = 0; i < n; i++) sigmas[i] = Math.Pow(a + i / (double)(n - 1) * (b - a), rho);
        return sigmas;
    }

    public double[] Times(INoiseSchedule schedule)
    {
        var (min, max) = options.Resolve(schedule, Name);
        var sigmas = Sigmas(options.RampLength, min, max, options.Rho);
        return TimeList.Check(options.ToTimes(sigmas, schedule), schedule, Name, "check 'sigmaMin', 'sigmaMax' and 'steps'");
    }
}
