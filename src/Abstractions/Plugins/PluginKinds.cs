namespace Pipeline.Plugins;

/// <summary>The kinds of plugin a pipeline composes; the strings appear in metadata, JSON and the CLI.</summary>
public static class PluginKinds
{
    public const string Model = "model";
    public const string NoiseSchedule = "noise-schedule";
    public const string TimeSteps = "time-steps";
    public const string Solver = "solver";
    public const string Guidance = "guidance";
    public const string Optimizer = "optimizer";

    /// <summary>Optimizers run on their own by the <c>optimize</c> command (search, distillation, estimation).</summary>
    public const string OfflineOptimizer = "offline-optimizer";
    public const string Metric = "metric";

    public static readonly IReadOnlyList<string> All =
        [Model, NoiseSchedule, TimeSteps, Solver, Guidance, Optimizer, OfflineOptimizer, Metric];

    /// <summary>The contract a plugin of each kind implements.</summary>
    public static Type ContractOf(string kind) => kind switch
    {
        Model => typeof(Models.IDiffusionModel),
        NoiseSchedule => typeof(Schedules.INoiseSchedule),
        TimeSteps => typeof(Schedules.ITimeStepSchedule),
        Solver => typeof(Solvers.ISolver),
        Guidance => typeof(Guidance.IGuidance),
        Optimizer => typeof(Optimizers.IOptimizer),
        OfflineOptimizer => typeof(Optimizers.IOfflineOptimizer),
        Metric => typeof(Metrics.IMetric),
        _ => throw new ArgumentException($"unknown plugin kind '{kind}'", nameof(kind)),
    };
}
