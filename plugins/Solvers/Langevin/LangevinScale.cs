using Pipeline.Schedules;

namespace Pipeline.Plugins.Solvers.Langevin;

/// <summary>
/// The factor alpha_i of the VP version of the Langevin corrector (Song et al. 2021, app. G, PC sampling and the
/// corrector algorithm for the VP SDE): alpha_i = 1 - beta_i of the N-step chain the VP SDE discretises. Here beta_i = g(t)^2 / N with g^2 the schedule's squared
/// diffusion (for VP, beta(t)); N is the schedule's training steps, or 1000 for continuous schedules as in the
/// score-SDE code (VPSDE with N = 1000). 1 on schedules that are not variance preserving (the VE versions).
/// </summary>
internal static class LangevinScale
{
    public const int ContinuousChainLength = 1000;

    public static double Alpha(INoiseSchedule schedule, double t)
    {
        if (!schedule.VariancePreserving) return 1.0;
        int n = schedule.TrainingSteps ?? ContinuousChainLength;
        return Math.Clamp(1 - schedule.DiffusionSquared(t) / n, 0.0, 1.0);
    }
}
