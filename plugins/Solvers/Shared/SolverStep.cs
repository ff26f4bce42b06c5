namespace Pipeline.Plugins.Solvers.Shared;

/// <summary>One step of a run, from time <see cref="From"/> (s, noisier) to <see cref="To"/> (t &lt; s).</summary>
internal readonly record struct SolverStep(int Index, TimePoint From, TimePoint To, bool IsLast)
{
    /// <summary>h = lambda_t - lambda_s &gt; 0, the step in half log-SNR (+infinity for a step into t = 0).</summary>
    public double H => To.Lambda - From.Lambda;

    /// <summary>True for a step into t = 0, where the model is never evaluated.</summary>
    public bool IntoClean => To.T == 0;
}
