using Pipeline.Plugins;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "leading", Aliases = "leading-spacing",
    Summary = "diffusers timestep_spacing 'leading': multiples of N // steps plus stepsOffset (discrete schedules)")]
public sealed class LeadingSpacingExport : PluginExport<LeadingSpacing, SpacingOptions>;

/// <summary>
/// ddim: i (N // steps) for i = steps-1 .. 0, plus stepsOffset; dpm-solver-multistep: i (last // (steps + 1)) for
/// i = steps .. 1, plus stepsOffset.
/// </summary>
public sealed class LeadingSpacing(SpacingOptions options) : DiffusersSpacing(options, "leading")
{
    protected override long[] RawIndices(int trainingSteps, int lastTimestep)
    {
        int steps = Options.Steps;
        bool ddim = Options.Variant == SpacingVariant.Ddim;
        long ratio = ddim ? trainingSteps / steps : lastTimestep / (steps + 1);
        int top = ddim ? steps - 1 : steps;
        var indices = new long[steps];
        for (int k = 0; k < steps; k++) indices[k] = (top - k) * ratio + Options.StepsOffset;
        return indices;
    }
}
