using Pipeline.Host.Sharding;
using Pipeline.Options;

namespace Pipeline.Host.Cli;

/// <summary>pipeline merge &lt;shard folder&gt;... [--output DIR] [--overwrite] [--metrics samples|statistics]</summary>
public static class MergeCommand
{
    public static int Run(PipelineHost host, Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var metrics = a.Value("metrics") switch
        {
            null or "samples" => MergedMetrics.Samples,
            "statistics" => MergedMetrics.Statistics,
            var other => throw new PipelineInputException($"--metrics takes 'samples' (score the merged samples, as one run does) or 'statistics' (add the shards' sums), not '{other}'", "--metrics"),
        };
        var folder = host.Merge(a.Positional, a.Value("output") ?? a.Value("out"), a.Has("overwrite"), metrics, cancel, stderr.WriteLine);
        stdout.WriteLine($"wrote {folder}");
        return Program.Ok;
    }
}
