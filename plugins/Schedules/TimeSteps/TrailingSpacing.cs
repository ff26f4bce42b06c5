using Pipeline.Plugins;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "trailing", Aliases = "trailing-spacing",
    Summary = "diffusers timestep_spacing 'trailing': round(arange(N, 0, -N / steps)) - 1, always starting at the last training step")]
public sealed class TrailingSpacingExport : PluginExport<TrailingSpacing, SpacingOptions>;

/// <summary>
/// round(arange(start, 0, -N / steps)) - 1 with start = N (ddim) or the clipped last timestep (dpm-solver-multistep).
/// No steps offset (diffusers ignores it here).
/// </summary>
public sealed class TrailingSpacing(SpacingOptions options) : DiffusersSpacing(options, "trailing")
{
    protected override long[] RawIndices(int trainingSteps, int lastTimestep)
    {
        int start = Options.Variant == SpacingVariant.Ddim ? trainingSteps : lastTimestep;
        double ratio = trainingSteps / (double)Options.Steps;
        return NumPy.Arange(start, 0, -ratio).Select(v => (long)NumPy.Round(v) - 1).ToArray();
    }
}
