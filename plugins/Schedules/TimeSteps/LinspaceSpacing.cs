using Pipeline.Plugins;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "linspace", Aliases = "linspace-spacing",
    Summary = "diffusers timestep_spacing 'linspace': rounded linspace over the training steps (discrete schedules)")]
public sealed class LinspaceSpacingExport : PluginExport<LinspaceSpacing, SpacingOptions>;

/// <summary>
/// ddim: round(linspace(0, N - 1, steps)) reversed; dpm-solver-multistep: round(linspace(0, last - 1, steps + 1))
/// reversed without its final 0. No steps offset (diffusers ignores it here).
/// </summary>
public sealed class LinspaceSpacing(SpacingOptions options) : DiffusersSpacing(options, "linspace")
{
    protected override long[] RawIndices(int trainingSteps, int lastTimestep) => Options.Variant switch
    {
        SpacingVariant.Ddim => Reversed(NumPy.Linspace(0, trainingSteps - 1, Options.Steps)),
        _ => Reversed(NumPy.Linspace(0, lastTimestep - 1, Options.Steps + 1))[..^1],
    };
}
