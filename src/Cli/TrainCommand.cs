using Pipeline.Host.Training;
using Pipeline.Options;

namespace Pipeline.Host.Cli;

/// <summary>
/// `train &lt;training.json&gt;`: trains a plugin's network (see <see cref="Trainer"/>). --output overrides the
/// output folder, --overwrite discards a saved state there, --quiet drops the progress line. Ctrl-C saves
/// and exits with 130; running the same command again continues from the saved step.
/// </summary>
public static class TrainCommand
{
    public static int Run(PipelineHost host, Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (a.Positional.Count != 1)
            throw new PipelineInputException($"'train' takes one training file (got {a.Positional.Count}); see --help and docs/mnist.md");
        var definition = TrainingDefinition.Load(a.Positional[0]);
        var bar = new TrainingProgressBar(stderr, interactive: ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var result = Trainer.Run(host, definition, new TrainingRunOptions(a.Value("output"), a.Has("overwrite")),
            a.Has("quiet") ? null : bar.Report, bar.Message, cancellation);
        string scores = result.Evaluation.Count == 0 ? "" : " (" + string.Join(", ", result.Evaluation.Select(kv => $"{kv.Key} {kv.Value:0.0000}")) + ")";
        switch (result.Stopped)
        {
            case "cancelled":
                stderr.WriteLine($"interrupted at step {result.Step} of {result.Steps}; everything up to it is saved in {result.Output}; run the same command to continue");
                return Program.Cancelled;
            case "time limit":
                stdout.WriteLine($"time limit reached at step {result.Step} of {result.Steps}; wrote {result.Checkpoint}{scores}; run the same command to continue");
                return Program.Ok;
            default:
                stdout.WriteLine($"trained {result.Steps} steps in {result.TotalTime.TotalMinutes:0.0} min; wrote {result.Checkpoint}{scores}");
                return Program.Ok;
        }
    }
}
