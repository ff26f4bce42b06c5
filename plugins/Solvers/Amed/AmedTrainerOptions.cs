using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeline.Plugins.Solvers.Shared;
using Pipeline.SolverKit;

namespace Pipeline.Plugins.Solvers.Amed;

public sealed class AmedTrainerOptions
{
    [Description("the step to train: 'amed' (AMED-Solver), 'ipndm' or 'dpm-solver-pp' (AMED-Plugin on iPNDM or DPM-Solver++(2M))")]
    public AmedBase Base { get; set; } = AmedBase.Amed;

    [Description("iPNDM's highest Adams-Bashforth order (base 'ipndm')"), Range(1, 4)]
    public int MaxOrder { get; set; } = 4;

    [Description("replace the first evaluation by AMED's analytic first step (n steps cost 2n - 1 NFE instead of 2n)")]
    public bool AnalyticFirstStep { get; set; } = true;

    [Description("base 'dpm-solver-pp': the last half step is of first order, as DPM-Solver++ does below 10 steps (a second-order last step ruins few-step runs on the MNIST UNet)")]
    public bool LowerOrderFinal { get; set; } = true;

    [Description("the teacher solver whose trajectory is distilled")]
    public ReferenceSolver Teacher { get; set; } = ReferenceSolver.Unipc;

    [Description("teacher steps per student step (uniform in lambda)"), Range(2, 10_000)]
    public int TeacherSteps { get; set; } = 32;

    [Description("training samples: the pipeline's first ones (null = all of sampling.count); train on other seeds than you evaluate on")]
    [Range(1, int.MaxValue)]
    public int? Samples { get; set; }

    [Description("values of r tried on a uniform grid in (0, 1) per step before the golden-section refinement"), Range(3, 1000)]
    public int GridPoints { get; set; } = 16;

    [Description("golden-section iterations on r per step after the grid"), Range(0, 100)]
    public int RefineIterations { get; set; } = 20;

    [Description("what each step's per-sample network reads: 'auto' (the model's bottleneck features when it gives them, as mnist-unet does, else the state), 'bottleneck', 'state' (x and eps at t_n) or 'none' (the table only)")]
    public AmedTrainerInput Input { get; set; } = AmedTrainerInput.Auto;

    [Description("hidden units of each step's network"), Range(1, 1024)]
    public int Hidden { get; set; } = 8;

    [Description("Adam iterations per step's network (full batch)"), Range(1, 100_000)]
    public int Iterations { get; set; } = 1500;

    [Description("Adam learning rate of the networks"), Range(1e-6, 1.0)]
    public double LearningRate { get; set; } = 0.003;

    [Description("fraction of the training samples held out to decide, per step, whether the network beats the table"), Range(0.05, 0.5)]
    public double Holdout { get; set; } = 0.2;

    [Description("score the pipeline with the trained predictor and with r = 1/2, c = 1 after training (two full runs)")]
    public bool Score { get; set; } = true;

    [Description("file name of the predictor in the output folder")]
    public string File { get; set; } = "amed.json";
}

/// <summary>The input of the per-sample networks <c>amed-train</c> fits.</summary>
public enum AmedTrainerInput
{
    Auto,
    Bottleneck,
    State,
    None,
}
