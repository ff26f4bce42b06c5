using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Pipeline.Plugins.Search.AutoDiffusion;

namespace Pipeline.Plugins.Search.Gits;

public sealed class GitsOptions
{
    [Description("Model-evaluation budget per sample; the step count is the largest whose NFE with the solver fits. Null = the pipeline's own NFE")]
    [Range(1, 1000)]
    public int? Nfe { get; set; }

    [Description("Intervals of the teacher's fine grid; the searched times are points of it (Chen et al. 2024 use 60-100)")]
    [Range(2, 2000)]
    public int TeacherSteps { get; set; } = 100;

    [Description("Samples (the pipeline's first ones, their noise as a run draws it) whose teacher trajectories price the jumps")]
    [Range(1, 1_000_000)]
    public int Batch { get; set; } = 256;

    [Description("'log-snr' (fine grid uniform in half log-SNR) or 'time' (uniform in t)")]
    public SearchSpace Grid { get; set; } = SearchSpace.LogSnr;

    [Description("The solver whose one-step errors are priced, a definition { \"type\", ...options }; it must be a one-step solver (ddim, pf-ode). Null = the pipeline's solver")]
    public JsonObject? Solver { get; set; }

    [Description("The solver of the teacher trajectory on the fine grid, a definition { \"type\", ...options }. Null = UniPC-3 ({ \"type\": \"unipc\", \"order\": 3 })")]
    public JsonObject? Teacher { get; set; }

    [Description("Score the found times and the standard schedules with the optimization's metric on all the pipeline's samples (one run each)")]
    public bool Score { get; set; } = true;
}
