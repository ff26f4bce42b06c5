namespace Pipeline.Plugins.Schedules;

/// <summary>Where the discrete schedule evaluates the model for a solver's time.</summary>
public enum ModelTimeRule
{
    /// <summary>At the solver's time (the exact method).</summary>
    Exact,

    /// <summary>At the nearest training step (diffusers' round of its Karras / exponential timesteps).</summary>
    NearestStep,
}
