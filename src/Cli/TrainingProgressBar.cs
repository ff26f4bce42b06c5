namespace Pipeline.Host.Training;

/// <summary>Training progress on a terminal: one redrawn line; plain lines when the output is redirected.</summary>
public sealed class TrainingProgressBar(TextWriter output, bool interactive)
{
    public void Report(TrainingProgress p)
    {
        string eta = p.Remaining is { } r ? $"  eta {(int)r.TotalHours}:{r:mm\\:ss}" : "";
        string text = $"step {p.Step}/{p.Steps}  loss {p.Loss:0.00000}  lr {p.LearningRate:0.0e+0}  {p.Rate:0.00} steps/s{eta}";
        if (interactive)
        {
            const int width = 30;
            int filled = (int)Math.Round((double)p.Step / p.Steps * width);
            output.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}  ");
            if (p.Step == p.Steps) output.WriteLine();
        }
        else output.WriteLine(text);
    }

    /// <summary>An event line (checkpoint saved, resuming), kept apart from the redrawn line.</summary>
    public void Message(string line)
    {
        if (interactive) output.Write("\r\x1b[K");
        output.WriteLine(line);
    }
}
