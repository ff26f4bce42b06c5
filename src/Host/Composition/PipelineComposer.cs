using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Pipeline.Guidance;
using Pipeline.Host.Definitions;
using Pipeline.Host.Plugins;
using Pipeline.Host.Runtime;
using Pipeline.IO;
using Pipeline.Models;
using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Host.Composition;

/// <summary>
/// Checks a definition against the loaded plugins and builds it: MEF found the plugins, dependency
/// injection builds each one with its bound options and the host services. Every problem is reported
/// before anything runs, with the JSON path and line of its cause.
/// </summary>
public sealed class PipelineComposer(PluginCatalog catalog)
{
    public ComposedPipeline Compose(PipelineDefinition definition)
    {
        var doc = definition.Document;
        PipelineDefinition.CheckSections(doc);

        var files = new FileLedger(definition.BaseDirectory, doc[FileLedger.Section]);
        var sampling = doc["sampling"] is { } s ? OptionsBinder.Bind<SamplingSettings>(AsObject(s, "sampling"), "sampling") : new SamplingSettings();
        if (doc["sampling"] is JObject samplingJson) OptionsBinder.ResolveFiles(sampling, samplingJson, files);
        var outputs = doc["outputs"] is { } o ? OptionsBinder.Bind<OutputSettings>(AsObject(o, "outputs"), "outputs") : new OutputSettings();
        var device = Checked(() => DeviceSelector.Resolve(sampling.Device), doc["sampling"]?["device"] ?? doc);
        var environment = new RunEnvironment(device, ToScalarType(sampling.Dtype), definition.BaseDirectory);

        var services = new ServiceCollection().AddSingleton(environment).BuildServiceProvider();
        var resolved = new JObject { ["name"] = definition.Name };
        var folders = definition.PluginFolders();
        if (folders.Count > 0) resolved["plugins"] = new JArray(folders);

        var model = Build<IDiffusionModel>(services, files, doc, "model", PluginKinds.Model, resolved);
        var schedule = Build<INoiseSchedule>(services, files, doc, "noiseSchedule", PluginKinds.NoiseSchedule, resolved);
        var timeSteps = Build<ITimeStepSchedule>(services, files, doc, "timeSteps", PluginKinds.TimeSteps, resolved);
        var solver = Build<ISolver>(services, files, doc, "solver", PluginKinds.Solver, resolved);
        var guidance = BuildList<IGuidance>(services, files, doc, "guidance", PluginKinds.Guidance, resolved);
        var optimizers = BuildList<IOptimizer>(services, files, doc, "optimizers", PluginKinds.Optimizer, resolved);
        var metrics = BuildList<Metrics.IMetric>(services, files, doc, "metrics", PluginKinds.Metric, resolved);

        var times = Checked(() => timeSteps.Times(schedule), doc["timeSteps"]);
        CheckTimes(times, schedule, doc["timeSteps"]!);
        if (SchedulePrecision.Problem(times, schedule, environment.DType) is { } precision) throw DefinitionError.At(doc["noiseSchedule"], precision);
        var baseSolver = solver;
        foreach (var optimizer in optimizers) solver = optimizer.Wrap(solver);
        DistilledModelCheck.Check(model, (string)resolved["solver"]!["type"]!, solver != baseSolver, schedule, times, doc);
        Problems(solver.CheckModel(model, schedule), doc["solver"]!, "cannot sample this model");
        Problems(solver.Check(schedule, times), doc["solver"]!, "cannot run with this noise schedule and these time steps");

        IConditionalDenoiser denoiser = new ModelAdapter(model, schedule);
        for (int i = 0; i < guidance.Count; i++)
        {
            Problems(guidance[i].Check(denoiser), doc["guidance"]![i]!, "cannot be applied here");
            denoiser = guidance[i].Wrap(denoiser);
        }

        var shape = SampleShape(sampling, model, doc);
        GridCheck.Check(outputs, shape, doc);
        Problems(baseSolver.CheckSamples(shape), doc["solver"]!, $"cannot run on samples of shape [{string.Join(", ", shape)}]");
        for (int i = 0; i < metrics.Count; i++)
            Problems(metrics[i].Check(new Metrics.MetricPlan(denoiser, shape, times)), doc["metrics"]![i]!, "cannot score this run");
        long seed = sampling.Seed ?? Random.Shared.NextInt64(0, 1L << 53);
        var seeds = sampling.Seeds ?? Enumerable.Range(0, sampling.Count).Select(i => PerSampleNoise.SeedOf(seed, i)).ToArray();
        if (sampling.Seeds is null) sampling.Seed = seed;
        var labels = Labels(sampling, model, guidance, doc);
        var initial = sampling.InitialNoise is { } noiseFile ? InitialNoise(environment.Resolve(noiseFile), sampling.Count, shape, doc, environment.DType) : null;

        sampling.Device = device.type == DeviceType.CPU ? "cpu" : $"cuda:{device.index}";
        resolved["sampling"] = OptionsBinder.Write(sampling);
        // Like the input files, the output folder is recorded as an absolute path: the resolved definition lives in
        // another folder than the definition whose folder a relative path was written against.
        if (outputs.Directory is { } directory && !directory.Contains('\0'))
            outputs.Directory = Path.GetFullPath(directory, definition.BaseDirectory);
        resolved["outputs"] = OptionsBinder.Write(outputs);
        if (files.Record.Count > 0) resolved[FileLedger.Section] = files.Record;

        return new ComposedPipeline
        {
            Name = definition.Name, Resolved = resolved, Environment = environment,
            Model = model, Schedule = schedule, TimeSteps = timeSteps, Solver = solver, Guidance = guidance, Metrics = metrics,
            Denoiser = denoiser, Times = times, SampleShape = shape, Seeds = seeds, Labels = labels,
            InitialNoise = initial, Sampling = sampling, Outputs = outputs,
        };
    }

    /// <summary>
    /// Builds one plugin of <paramref name="kind"/> from its { "type", ...options } object with the given host
    /// services; returns it with its options written out (defaults filled in).
    /// </summary>
    public (T Instance, JObject Written) BuildPlugin<T>(JObject spec, string kind, RunEnvironment environment) where T : class
    {
        var services = new ServiceCollection().AddSingleton(environment).BuildServiceProvider();
        return BuildOne<T>(services, spec, kind, new FileLedger(environment.BaseDirectory, null));
    }

    T Build<T>(IServiceProvider services, FileLedger files, JObject doc, string section, string kind, JObject resolved) where T : class
    {
        var spec = AsObject(doc[section]!, section);
        var (instance, written) = BuildOne<T>(services, spec, kind, files);
        resolved[section] = written;
        return instance;
    }

    List<T> BuildList<T>(IServiceProvider services, FileLedger files, JObject doc, string section, string kind, JObject resolved) where T : class
    {
        var list = new List<T>();
        var array = new JArray();
        if (doc[section] is { } token)
        {
            if (token is not JArray items)
                throw DefinitionError.At(token, $"'{section}' must be an array of {{ \"type\": ... }} objects");
            foreach (var item in items)
            {
                var (instance, written) = BuildOne<T>(services, AsObject(item, section), kind, files);
                list.Add(instance);
                array.Add(written);
            }
        }
        resolved[section] = array;
        return list;
    }

    (T Instance, JObject Written) BuildOne<T>(IServiceProvider services, JObject spec, string kind, FileLedger files) where T : class
    {
        var typeToken = spec["type"];
        if (typeToken is null)
            throw DefinitionError.At(spec, $"a {kind} needs a \"type\" naming the plugin (run 'list {kind}' for the names)", DefinitionError.PathOf(spec) + ".type");
        if (typeToken.Type != JTokenType.String)
            throw DefinitionError.At(typeToken, $"\"type\" must be a string naming a {kind} plugin");
        var name = (string)typeToken!;
        if (kind == PluginKinds.Optimizer && catalog.OfKind(PluginKinds.OfflineOptimizer).Any(e => e.Names.Contains(name, StringComparer.OrdinalIgnoreCase)))
            throw DefinitionError.At(typeToken, $"'{name}' is an offline optimizer: it runs on its own with 'pipeline optimize <optimization.json>' and writes a file that pipelines then reference (see docs/optimizers.md)");
        var entry = catalog.Find(kind, name, typeToken);
        var options = OptionsBinder.Bind(entry.Options, spec, $"{kind} '{entry.Name}'", "type");
        OptionsBinder.ResolveFiles(options, spec, files);
        object instance;
        try
        {
            instance = ActivatorUtilities.CreateInstance(services, entry.Implementation, options);
        }
        catch (Exception e) when (Unwrap(e) is PipelineInputException input)
        {
            throw Relocate(input, spec);
        }
        var written = new JObject { ["type"] = entry.Name };
        foreach (var p in OptionsBinder.Write(options).Properties()) written.Add(p);
        return ((T)instance, written);
    }

    static Exception Unwrap(Exception e) => e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : e;

    static PipelineInputException Relocate(PipelineInputException e, JToken at) => DefinitionError.Locate(e, at);

    static T Checked<T>(Func<T> f, JToken? at)
    {
        try { return f(); }
        catch (PipelineInputException e) { throw Relocate(e, at!); }
    }

    static void Problems(IEnumerable<string> problems, JToken at, string what)
    {
        var list = problems.ToList();
        if (list.Count > 0)
            throw DefinitionError.At(at, $"{(string?)at["type"]} {what}: {string.Join("; ", list)}");
    }

    static void CheckTimes(double[] times, INoiseSchedule schedule, JToken at)
    {
        if (TimeGrid.Problem(times, schedule) is { } problem) throw DefinitionError.At(at, problem);
    }

    static long[] SampleShape(SamplingSettings sampling, IDiffusionModel model, JObject doc)
    {
        if (sampling.Shape is { } shape)
        {
            if (model.SampleShape is { } own && !own.SequenceEqual(shape))
                throw DefinitionError.At(doc["sampling"]?["shape"], $"the model takes samples of shape [{string.Join(", ", own)}], not [{string.Join(", ", shape)}]; remove 'shape' or make it match");
            return shape;
        }
        return model.SampleShape
            ?? throw DefinitionError.At(doc["sampling"] ?? doc, "this model accepts any sample shape; set sampling.shape", "$.sampling.shape");
    }

    static long[]? Labels(SamplingSettings sampling, IDiffusionModel model, IReadOnlyList<IGuidance> guidance, JObject doc)
    {
        var at = doc["sampling"]?["labels"] ?? doc["sampling"]?["labelsInRows"];
        bool guided = guidance.Any(g => g.UsesLabels);
        if (sampling.Labels is null && !sampling.LabelsInRows)
        {
            if (guided)
                throw DefinitionError.At(doc["guidance"], "this guidance steers towards labels, but the run gives none; set sampling.labels (one per sample) or sampling.labelsInRows", "$.sampling.labels");
            return null;
        }
        if (model.Classes is not int classes)
        {
            // An unconditional model may still be steered towards labels by a classifier.
            if (guided && sampling.Labels is not null) return sampling.Labels;
            throw DefinitionError.At(at, guided
                ? "labelsInRows needs a conditional model to know the number of classes; give sampling.labels instead"
                : "labels were given but the model is unconditional and no guidance uses them; remove them or use a conditional model");
        }
        if (sampling.LabelsInRows)
            return Enumerable.Range(0, sampling.Count).Select(i => (long)(i % classes)).ToArray();
        foreach (var l in sampling.Labels!)
            if (l != Conditioning.NullLabel && (l < 0 || l >= classes))
                throw DefinitionError.At(at, $"label {l} is outside 0..{classes - 1} (or -1 for unconditional)");
        return sampling.Labels;
    }

    static torch.Tensor InitialNoise(string path, int count, long[] shape, JObject doc, torch.ScalarType dtype)
    {
        var at = doc["sampling"]?["initialNoise"];
        torch.Tensor t;
        try { t = NpyFile.Read(path); }
        catch (PipelineInputException e) { throw DefinitionError.At(at, e.Message); }
        long[] expected = [count, .. shape];
        if (!t.shape.SequenceEqual(expected))
        {
            var got = t.shape;
            t.Dispose();
            throw DefinitionError.At(at, $"initial noise '{path}' has shape [{string.Join(", ", got)}] but the run needs [{string.Join(", ", expected)}] (count, ...shape)");
        }
        if (!t.is_floating_point())
        {
            t.Dispose();
            throw DefinitionError.At(at, $"initial noise '{path}' holds integers; save it as float32 or float64");
        }
        if (InitialNoiseProblem(t, dtype) is { } problem)
        {
            t.Dispose();
            throw DefinitionError.At(at, $"initial noise '{path}' {problem}");
        }
        return t;
    }

    // A NaN or infinity in x_T would surface as "the model output was not finite"; the file is the cause, so it is named.
    static string? InitialNoiseProblem(torch.Tensor noise, torch.ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var values = noise.to(torch.ScalarType.Float64);
        var finite = torch.isfinite(values);
        if (!finite.all().item<bool>())
        {
            long first = finite.logical_not().flatten().nonzero()[0, 0].item<long>();
            return $"holds a value that is not finite (NaN or infinity) at flat index {first}; write finite noise (e.g. numpy.random.standard_normal)";
        }
        double largest = values.numel() == 0 ? 0 : values.abs().max().item<double>();
        if (!PrecisionRange.Holds(dtype, largest))
            return $"holds {largest:G6}, outside the finite range of the run's dtype {PrecisionRange.Name(dtype)}; rescale the noise or use a wider dtype";
        return null;
    }

    internal static JObject AsObject(JToken token, string section) => token as JObject
        ?? throw DefinitionError.At(token, $"'{section}' must be an object");

    static torch.ScalarType ToScalarType(SampleDType d) => d switch
    {
        SampleDType.Float64 => torch.ScalarType.Float64,
        SampleDType.BFloat16 => torch.ScalarType.BFloat16,
        SampleDType.Float16 => torch.ScalarType.Float16,
        _ => torch.ScalarType.Float32,
    };
}
