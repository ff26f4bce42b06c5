namespace Pipeline.Optimizers;

/// <summary>Everything an <see cref="IOfflineOptimizer"/> gets from the host.</summary>
public sealed class OptimizationContext
{
    /// <summary>The pipeline being optimized, as the host composed it.</summary>
    public required IOptimizationTarget Target { get; init; }

    /// <summary>
    /// Where artifacts go. The host moves this folder into place only when <see cref="IOfflineOptimizer.Optimize"/>
    /// returns, so a failed or cancelled optimization leaves nothing half-written.
    /// </summary>
    public required string OutputDirectory { get; init; }

    /// <summary>
    /// A folder that survives interruption, for resumable state: running the same optimization again finds
    /// what was saved here and continues. The host removes it after success.
    /// </summary>
    public required string StateDirectory { get; init; }

    /// <summary>Progress reports (shown as a progress bar or log lines by the command line).</summary>
    public Action<OptimizationProgress>? Progress { get; init; }

    public CancellationToken Cancellation { get; init; }

    public void Report(int done, int total, string message)
    {
        Progress?.Invoke(new OptimizationProgress(done, total, message));
        Cancellation.ThrowIfCancellationRequested();
    }
}

/// <summary>One progress report: <paramref name="Done"/> of <paramref name="Total"/> units, and what happens now.</summary>
public readonly record struct OptimizationProgress(int Done, int Total, string Message);
