namespace Pipeline.Host.Running;

/// <summary>
/// Progress of a run, reported after every solver step of every batch, on the sampling thread (keep the handler short).
/// </summary>
/// <remarks>
/// <see cref="Batch"/> is an index from 0; <see cref="Step"/> is a count from 1: the steps of this batch done so far.
/// A run of 2 batches of 3 steps reports (Batch, Step) = (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3); print
/// "step <c>Step</c>/<c>Steps</c>, batch <c>Batch + 1</c>/<c>Batches</c>" as the command line does. The last report has
/// Batch = Batches - 1 and Step = Steps, and <see cref="Fraction"/> = 1.
/// </remarks>
/// <param name="Batch">The batch being sampled, an index from 0 to <paramref name="Batches"/> - 1.</param>
/// <param name="Batches">How many batches the run has (sampling.count over sampling.batchSize, rounded up).</param>
/// <param name="Step">Steps of this batch completed, from 1 to <paramref name="Steps"/>.</param>
/// <param name="Steps">Solver steps per batch: the time-step schedule's times minus one.</param>
/// <param name="Evaluations">Model evaluations made so far, all batches together (counted, so a solver that stops early shows it).</param>
/// <param name="TotalEvaluations">Model evaluations the whole run is expected to make (the solver's count times the batches).</param>
/// <param name="Elapsed">Time since sampling started (composition not included).</param>
public readonly record struct RunProgress(int Batch, int Batches, int Step, int Steps, long Evaluations, long TotalEvaluations, TimeSpan Elapsed)
{
    /// <summary>The share of the run done, in (0, 1]: (Batch + Step / Steps) / Batches.</summary>
    public double Fraction => Batches == 0 || Steps == 0 ? 1 : (Batch + (double)Step / Steps) / Batches;
}
