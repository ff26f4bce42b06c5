using Pipeline.Host.Definitions;
using Pipeline.Host.Optimization;
using Pipeline.Optimizers;
using Pipeline.Options;

namespace Pipeline.Host.Cli;

/// <summary>
/// `optimize &lt;optimization.json&gt;` (alias `search`): runs an offline optimizer (see <see cref="OptimizationRunner"/>)
/// and prints its summary. Ctrl-C stops it with nothing written but its resumable state; the same command continues.
/// </summary>
public static class OptimizeCommand
{
    public static int Run(PipelineHost host, Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (a.Positional.Count != 1)
            throw new PipelineInputException($"'{a.Command}' takes one optimization file (got {a.Positional.Count}); see --help and docs/optimizers.md");
        var file = PipelineDefinition.Load(a.Positional[0]);
        bool interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        Action<OptimizationProgress>? report = a.Has("quiet") ? null : p =>
        {
            var line = $"[{p.Done}/{p.Total}] {p.Message}";
            if (interactive) stderr.Write($"\r{line,-100}");
            else stderr.WriteLine(line);
        };
        try
        {
            var (folder, summary) = OptimizationRunner.Run(host, file, a.Value("output"), a.Has("overwrite"), report, cancellation, stderr.WriteLine);
            if (interactive && report is not null) stderr.WriteLine();
            foreach (var (key, value) in summary)
                stdout.WriteLine($"{key}: {Newtonsoft.Json.JsonConvert.SerializeObject(value)}");
            stdout.WriteLine($"wrote {folder}");
            return Program.Ok;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine();
            stderr.WriteLine("interrupted; the output folder was not written, the progress so far is kept: run the same command to continue");
            return Program.Cancelled;
        }
    }
}
