using System.ComponentModel;

namespace Pipeline.Host.Definitions;

/// <summary>The "outputs" section: where results go and which ones are written.</summary>
public sealed class OutputSettings
{
    [Description("Output folder (relative to the definition's folder); null = runs/<definition name> in the current folder")]
    public string? Directory { get; set; }

    [Description("Replace an existing output folder")]
    public bool Overwrite { get; set; }

    [Description("Write samples.npy, in the run's dtype (bfloat16 as float32)")]
    public bool Samples { get; set; } = true;

    [Description("Write trajectory.npy, the state after every step [steps+1, count, ...], in the run's dtype (bfloat16 as float32)")]
    public bool Trajectory { get; set; }

    [Description("Write grid.png when samples are images ([H,W] or [C,H,W] with C = 1 or 3)")]
    public bool Grid { get; set; } = true;

    [Description("Columns of the grid; null = 10 for labelled rows, else about sqrt(count)")]
    public int? GridColumns { get; set; }

    [Description("Value range mapped to black..white in the grid")]
    public double[] GridRange { get; set; } = [-1, 1];
}
