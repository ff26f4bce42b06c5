namespace Pipeline.Plugins.Schedules;

/// <summary>Which diffusers scheduler family's set_timesteps a spacing rule reproduces.</summary>
public enum SpacingVariant
{
    /// <summary>DDIMScheduler / DDPMScheduler: the rule yields the steps indices directly.</summary>
    Ddim,
    /// <summary>DPMSolverMultistepScheduler (and UniPC, DEIS): a grid of steps + 1 indices whose last (smallest) is dropped.</summary>
    DpmSolverMultistep,
}
