using Newtonsoft.Json;
using Pipeline.Host.Definitions;
using Pipeline.Host.Running;
using Pipeline.Options;
using Pipeline.Plugins;

namespace Pipeline.Host.Cli;

/// <summary>The command line: run, validate, schema, list, bench, compare, train, optimize. Exit codes: 0 ok, 1 failure, 2 input error, 130 cancelled.</summary>
public static class Program
{
    public const int Ok = 0, Failure = 1, InputError = 2, Cancelled = 130;

    const string Usage = """
        pipeline - sample from diffusion models with pluggable solvers

        Usage:
          pipeline run <definition.json> [--output DIR] [--overwrite] [--plugins DIR]... [--quiet] [--shard K/N]
          pipeline merge <shard folder>... [--output DIR] [--overwrite] [--metrics samples|statistics]
          pipeline validate <definition.json | optimization.json> [--output DIR] [--overwrite] [--plugins DIR]...
          pipeline schema [--output FILE] [--plugins DIR]...
          pipeline list [KIND] [--plugins DIR]...
          pipeline list --comfyui | --diffusers
          pipeline import-diffusers <scheduler_config.json> --steps N [--diffusers-conventions] [--definition BASE.json] [--output FILE]
          pipeline bench <definition.json | comparison.json> [--repeat N] [--steps 10,50] [--plugins DIR]...
          pipeline compare <comparison.json> [--output DIR] [--overwrite] [--plugins DIR]...
          pipeline train <training.json> [--output DIR] [--overwrite] [--quiet] [--plugins DIR]...
          pipeline optimize <optimization.json> [--output DIR] [--overwrite] [--quiet] [--plugins DIR]...

        Commands:
          run       compose the definition, sample, and write samples.npy, report.json,
                    definition.resolved.json (and grid.png for images, trajectory.npy on request)
                    into the output folder (default: outputs.directory, else runs/<name>)
                    --shard K/N (K from 0): only shard K's samples, into <folder>.shard-K-of-N
                    with shard.json (docs/scale.md)
          merge     check shard folders (one definition, every shard once, checksums) and write
                    the files one run writes (default folder: their name without .shard-K-of-N)
          validate  check a definition against the loaded plugins without running it
          schema    print a JSON Schema of definitions for the loaded plugins
          list      plugins by kind (model, noise-schedule, time-steps, solver, guidance,
                    optimizer, offline-optimizer, metric) with their summaries and options,
                    then the settings of the sampling and outputs sections ('list sampling');
                    --comfyui: ComfyUI's sampler and scheduler names -> plugin and options, or missing
                    --diffusers: diffusers' scheduler classes -> plugins -> parity
          import-diffusers  write the definition a diffusers scheduler_config.json gives for N steps,
                    every option spelled out (or use a "diffusers": {"config", "steps"} section)
          bench     time sampling per step, split into model time and everything else
          compare   run solver configurations at several NFE budgets on one pipeline; writes
                    compare.md, compare.csv and compare.png (error against NFE, log-log)
          train     train a plugin's network (mnist-unet, mnist-noisy-classifier, mnist-lenet)
                    from a training file; writes checkpoints and a resumable state into the
                    output folder; Ctrl-C saves, running again continues (--overwrite restarts)
          optimize  (alias search) run an offline optimizer on a pipeline: AutoDiffusion time-step
                    search, AMED training, Analytic-DPM variance estimation; writes its artifact
                    and report.json into the output folder; Ctrl-C keeps its progress, running
                    again continues (--overwrite restarts)

        Plugin folders: the host's plugins/ folder, PIPELINE_PLUGINS (separated like PATH),
        --plugins, and the definition's "plugins" list.
        CUDA: see README ("CUDA"); PIPELINE_LIBTORCH names an external libtorch folder.
        Exit codes: 0 success, 1 failure, 2 input error (nothing written), 130 cancelled.
        """;

    static readonly HashSet<string> ValueOptions = ["output", "out", "plugins", "repeat", "steps", "shard", "metrics", "definition"];
    static readonly HashSet<string> FlagOptions = ["overwrite", "quiet", "version", "trajectory", "comfyui", "diffusers", "diffusers-conventions"];

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            var a = Arguments.Parse(args, ValueOptions, FlagOptions);
            if (a.Has("version")) { Runtime.NativeBackend.Initialize(); stdout.WriteLine(Outputs.RunWriter.Versions().ToString(Formatting.None)); return Ok; }
            if (a.Command is null || a.Has("help") || a.Command == "help") { stdout.WriteLine(Usage); return a.Command is null && !a.Has("help") ? InputError : Ok; }
            var host = new PipelineHost(a.Values("plugins"));
            return a.Command switch
            {
                "run" => RunCommand(host, a, stdout, stderr, cancel.Token),
                "merge" => MergeCommand.Run(host, a, stdout, stderr, cancel.Token),
                "validate" => Validate(host, a, stdout, stderr),
                "schema" => Schema(host, a, stdout),
                "list" => a.Has("comfyui") ? ListCommand.WriteComfyUi(stdout)
                    : a.Has("diffusers") ? ListCommand.WriteDiffusers(stdout)
                    : ListCommand.Write(host, a.Positional.FirstOrDefault(), stdout),
                "import-diffusers" => ImportDiffusersCommand.Run(host, a, stdout, stderr),
                "compare" => a.Positional.Count == 1
                    ? CompareCommand.Run(host, a.Positional[0], a.Value("output"), a.Has("overwrite"), stdout, stderr, cancel.Token)
                    : throw new PipelineInputException("'compare' takes one comparison file; see --help"),
                "train" => TrainCommand.Run(host, a, stdout, stderr, cancel.Token),
                "optimize" or "search" => OptimizeCommand.Run(host, a, stdout, stderr, cancel.Token),
                "bench" => BenchCommand.Run(host, Definition(a), PositiveInt(a.Value("repeat") ?? "3", "--repeat"),
                    (a.Value("steps") ?? "10,50").Split(',').Select(s => PositiveInt(s, "--steps")).ToList(), stdout),
                _ => throw new PipelineInputException($"unknown command '{a.Command}'.{NameSuggester.Hint(a.Command, ["run", "merge", "validate", "schema", "list", "bench", "compare", "train", "optimize", "search", "import-diffusers"])} Run with --help for usage."),
            };
        }
        catch (PipelineInputException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return InputError;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine();
            stderr.WriteLine("cancelled; nothing was written");
            return Cancelled;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"failed: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("PIPELINE_DEBUG") == "1") stderr.WriteLine(e);
            return Failure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    static int PositiveInt(string text, string option) =>
        int.TryParse(text, out var v) && v > 0 ? v : throw new PipelineInputException($"{option} takes positive integers, not '{text}'");

    static PipelineDefinition Definition(Arguments a) => a.Positional.Count == 1
        ? PipelineDefinition.Load(a.Positional[0])
        : throw new PipelineInputException($"'{a.Command}' takes one definition file (got {a.Positional.Count}); see --help");

    static int RunCommand(PipelineHost host, Arguments a, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        var definition = Definition(a);
        WarnAboutPlugins(host.CatalogFor(definition), stderr, definition);
        var bar = a.Has("quiet") ? null : new ProgressBar(stderr, interactive: ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var folder = a.Value("shard") is { } shard
            ? host.RunShard(definition, Sharding.ShardSpec.Parse(shard), a.Value("output"), a.Has("overwrite") ? true : null, bar is null ? null : bar.Report, cancel, stderr.WriteLine)
            : host.Run(definition, a.Value("output"), a.Has("overwrite") ? true : null, bar is null ? null : bar.Report, cancel, stderr.WriteLine);
        stdout.WriteLine($"wrote {folder}");
        return Ok;
    }

    static int Validate(PipelineHost host, Arguments a, TextWriter stdout, TextWriter stderr)
    {
        var definition = Definition(a);
        WarnAboutPlugins(host.CatalogFor(definition), stderr, definition);
        if (Optimization.OptimizationRunner.IsOptimization(definition))
        {
            stdout.WriteLine($"ok: optimization {definition.Name}: {Optimization.OptimizationRunner.Validate(host, definition, a.Value("output"), a.Has("overwrite"))}");
            return Ok;
        }
        using var p = host.Compose(definition);
        PipelineHost.OutputOf(definition, a.Value("output")).Check(a.Has("overwrite") || p.Outputs.Overwrite);
        stdout.WriteLine($"ok: {definition.Name}: model {p.Resolved["model"]!["type"]}, schedule {p.Resolved["noiseSchedule"]!["type"]}, " +
                         $"{p.Times.Count - 1} steps ({p.Resolved["timeSteps"]!["type"]}), solver {p.Resolved["solver"]!["type"]}, " +
                         $"NFE {p.ExpectedEvaluations}, {p.Count} samples of shape [{string.Join(", ", p.SampleShape)}] on {p.Environment.Device}");
        return Ok;
    }

    static int Schema(PipelineHost host, Arguments a, TextWriter stdout)
    {
        var text = host.Schema().ToString(Formatting.Indented);
        if (a.Value("output") is { } file) File.WriteAllText(file, text);
        else stdout.WriteLine(text);
        return Ok;
    }

    static void WarnAboutPlugins(Plugins.PluginCatalog catalog, TextWriter stderr, PipelineDefinition? definition = null)
    {
        foreach (var w in definition?.Warnings ?? []) stderr.WriteLine($"warning: {w}");
        foreach (var e in catalog.Errors.Concat(catalog.Warnings)) stderr.WriteLine($"warning: plugin {e}");
    }
}
