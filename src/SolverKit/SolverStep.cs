namespace Pipeline.SolverKit;

/// <summary>One step of a run, from time <see cref="From"/> (s, noisier) to <see cref="To"/> (t &lt; s).</summary>
/// <param name="Index">
/// The step's index, 0 for the first; the index the observer is told. For an update that spans several intervals of
/// the time grid (<see cref="SolverRun"/>), the last interval it covers.
/// </param>
/// <param name="From">Schedule values at the step's start s.</param>
/// <param name="To">Schedule values at the step's end t.</param>
/// <param name="IsLast">True for the run's final step.</param>
public readonly record struct SolverStep(int Index, TimePoint From, TimePoint To, bool IsLast)
{
    /// <summary>h = lambda_t - lambda_s &gt; 0, the step in half log-SNR (+infinity for a step into t = 0).</summary>
    public double H => To.Lambda - From.Lambda;

    /// <summary>True for a step into t = 0, where the model is never evaluated.</summary>
    public bool IntoClean => To.T == 0;
}
