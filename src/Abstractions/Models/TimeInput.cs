using Pipeline.Schedules;

namespace Pipeline.Models;

/// <summary>How a time is presented to a network.</summary>
public enum TimeInput
{
    /// <summary>Training-step index t N - 1 (0 .. N-1; fractional between steps). Needs a discrete schedule.</summary>
    DiscreteIndex,
    /// <summary>Continuous t as the schedule defines it.</summary>
    Continuous,
    /// <summary>1000 t (continuous-time VP models trained with that scaling).</summary>
    Continuous1000,
    /// <summary>sigma(t) / alpha(t), the noise level of the scaled variable x / alpha.</summary>
    Sigma,
    /// <summary>log(sigma / alpha) / 4, the EDM preconditioning c_noise.</summary>
    EdmLogSigma,
}

public static class TimeInputs
{
    /// <summary>The value a network with convention <paramref name="input"/> receives at time t.</summary>
    public static double Convert(TimeInput input, INoiseSchedule schedule, double t) => input switch
    {
        TimeInput.DiscreteIndex => schedule.TrainingSteps is int n
            ? t * n - 1
            : throw new Options.PipelineInputException(
                "time input 'discrete-index' needs a discrete noise schedule (one with training steps); choose another time input or schedule"),
        TimeInput.Continuous => t,
        TimeInput.Continuous1000 => 1000 * t,
        TimeInput.Sigma => schedule.Sigma(t) / schedule.Alpha(t),
        TimeInput.EdmLogSigma => Math.Log(schedule.Sigma(t) / schedule.Alpha(t)) / 4,
        _ => throw new ArgumentOutOfRangeException(nameof(input)),
    };
}
