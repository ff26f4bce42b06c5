using Pipeline.Host.Running;

namespace Pipeline.Host.Cli;

/// <summary>A one-line progress bar on a terminal; plain lines (about every 10%) when stderr is redirected.</summary>
public sealed class ProgressBar(TextWriter output, bool interactive)
{
    int lastDecile = -1;
    DateTime lastDraw;

    public void Report(RunProgress p)
    {
        bool done = p.Batch == p.Batches - 1 && p.Step == p.Steps;
        if (interactive)
        {
            if (!done && (DateTime.UtcNow - lastDraw).TotalMilliseconds < 100) return;
            lastDraw = DateTime.UtcNow;
            const int width = 30;
            int filled = (int)Math.Round(p.Fraction * width);
            output.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] step {p.Step}/{p.Steps}  batch {p.Batch + 1}/{p.Batches}  NFE {p.Evaluations}/{p.TotalEvaluations}  {p.Elapsed:mm\\:ss\\.f}  ");
            if (done) output.WriteLine();
        }
        else
        {
            int decile = (int)Math.Floor(p.Fraction * 10);
            if (decile == lastDecile && !done) return;
            if (done && lastDecile == 10) return;
            lastDecile = done ? 10 : decile;
            output.WriteLine($"progress {p.Fraction * 100,5:0.0}%  step {p.Step}/{p.Steps}  batch {p.Batch + 1}/{p.Batches}  NFE {p.Evaluations}/{p.TotalEvaluations}  {p.Elapsed.TotalSeconds:0.0}s");
        }
    }
}
