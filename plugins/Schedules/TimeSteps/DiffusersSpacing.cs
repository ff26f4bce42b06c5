using Pipeline.Options;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

/// <summary>
/// The timestep_spacing rules of diffusers' set_timesteps ("linspace", "leading", "trailing"; Lin et al. 2024,
/// "Common diffusion noise schedules and sample steps are flawed", Table 2), reproduced index for index, and
/// mapped to times by the convention t = (i + 1) / N. The list ends with the final target: t = 0 when
/// setAlphaToOne, else t = 1/N.
/// </summary>
public abstract class DiffusersSpacing : ITimeStepSchedule
{
    readonly SpacingOptions options;
    readonly string name;

    protected DiffusersSpacing(SpacingOptions options, string rule)
    {
        name = $"time-steps '{rule}'";
        OptionsValidation.ThrowIfInvalid(options, name);
        this.options = options;
    }

    protected SpacingOptions Options => options;

    /// <summary>Training-step indices, largest first, exactly as the diffusers rule computes them (before any check).</summary>
    protected abstract long[] RawIndices(int trainingSteps, int lastTimestep);

    /// <summary>The model-evaluation indices for a schedule of <paramref name="trainingSteps"/> steps, checked.</summary>
    public long[] Indices(INoiseSchedule schedule)
    {
        int n = schedule.TrainingSteps ?? throw new PipelineInputException(
            $"{name}: spacing rules pick training-step indices and need a discrete noise schedule ('discrete'); " +
            "for a continuous schedule use 'time-uniform', 'time-quadratic', 'logsnr-uniform' or 'karras'");
        int last = n;
        if (options.LambdaMinClipped is double clip)
        {
            // diffusers: searchsorted(flip(lambda_t), lambda_min_clipped) counts the steps with lambda below the clip.
            int clipped = 0;
            for (int i = 0; i < n; i++)
                if (schedule.Lambda((i + 1) / (double)n) < clip) clipped++;
            last = n - clipped;
            if (last < 1)
                throw new PipelineInputException($"{name}: 'lambdaMinClipped' ({clip}) clips every training step; lower it");
        }
        var indices = RawIndices(n, last);
        if (indices.Length != options.Steps)
            throw new PipelineInputException(
                $"{name}: with {n} training steps and 'steps' = {options.Steps} the diffusers rule yields {indices.Length} indices " +
                $"({string.Join(", ", indices.TakeLast(3))} at the end; NumPy's floating-point arange overshoots), which diffusers would run with a wrong last step; choose another 'steps'");
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0 || indices[i] >= n)
                throw new PipelineInputException(
                    $"{name}: index {indices[i]} is outside the training steps 0..{n - 1}; lower 'stepsOffset' or 'steps'");
            if (i > 0 && indices[i] >= indices[i - 1])
                throw new PipelineInputException(
                    $"{name}: 'steps' = {options.Steps} gives the training-step index {indices[i]} twice " +
                    $"({n} training steps cannot hold that many distinct rounded indices with this rule); lower 'steps'");
        }
        return indices;
    }

    public double[] Times(INoiseSchedule schedule)
    {
        var indices = Indices(schedule);
        int n = schedule.TrainingSteps!.Value;
        var times = new double[indices.Length + 1];
        for (int i = 0; i < indices.Length; i++) times[i] = (indices[i] + 1) / (double)n;
        times[^1] = options.SetAlphaToOne ? 0.0 : 1.0 / n;
        if (times[^1] == times[^2])
            throw new PipelineInputException(
                $"{name}: the last evaluated index is training step 0 and 'setAlphaToOne' = false makes the final target step 0 too " +
                "(a step of length zero); set 'setAlphaToOne' to true, or 'stepsOffset' to 1 as Stable Diffusion does");
        return TimeList.Check(times, schedule, name, "check 'steps' and 'stepsOffset'");
    }

    protected static long[] Reversed(IEnumerable<double> values) => values.Reverse().Select(v => (long)NumPy.Round(v)).ToArray();
}
