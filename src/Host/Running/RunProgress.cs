namespace Pipeline.Host.Running;

/// <summary>Progress of a run, reported after every solver step.</summary>
public readonly record struct RunProgress(int Batch, int Batches, int Step, int Steps, long Evaluations, long TotalEvaluations, TimeSpan Elapsed)
{
    public double Fraction => Batches == 0 || Steps == 0 ? 1 : (Batch + (double)Step / Steps) / Batches;
}
