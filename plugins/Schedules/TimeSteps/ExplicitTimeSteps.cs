using System.Text.Json;
using Pipeline.IO;
using Pipeline.Options;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Schedules;

[Plugin(PluginKinds.TimeSteps, "explicit", Aliases = "list,custom",
    Summary = "A given list of times or training-step indices, inline or from a .npy / .json file")]
public sealed class ExplicitTimeStepsExport : PluginExport<ExplicitTimeSteps, ExplicitTimeStepsOptions>;

/// <summary>
/// Times given by the user (or written by an optimizer such as AutoDiffusion): inline times, training-step indices
/// mapped by t = (i + 1) / N, or a file. The file is read when the plugin is built, so a bad file fails before sampling.
/// </summary>
public sealed class ExplicitTimeSteps : ITimeStepSchedule
{
    const string Name = "time-steps 'explicit'";
    readonly ExplicitTimeStepsOptions options;
    readonly double[]? times;
    readonly long[]? indices;
    readonly string source;

    public ExplicitTimeSteps(ExplicitTimeStepsOptions options, RunEnvironment environment)
    {
        OptionsValidation.ThrowIfInvalid(options, Name);
        this.options = options;
        if (options.Times is { } t)
        {
            times = (double[])t.Clone();
            source = "check 'times'";
        }
        else if (options.Indices is { } ix)
        {
            indices = (long[])ix.Clone();
            source = "check 'indices'";
        }
        else
        {
            string path = environment.Resolve(options.File!);
            source = $"check the file '{path}' ('file')";
            (times, indices) = Load(path);
        }
    }

    public double[] Times(INoiseSchedule schedule)
    {
        double[] list;
        if (indices is not null)
        {
            int n = schedule.TrainingSteps ?? throw new PipelineInputException(
                $"{Name}: 'indices' are training steps and need a discrete noise schedule ('discrete'); give 'times' instead");
            foreach (var i in indices)
                if (i < 0 || i >= n)
                    throw new PipelineInputException($"{Name}: index {i} is outside the training steps 0..{n - 1}; {source}");
            list = indices.Select(i => (i + 1) / (double)n).ToArray();
        }
        else list = (double[])times!.Clone();
        if (options.AppendZero) list = [.. list, 0.0];
        if (options.Steps is int steps && list.Length != steps + 1)
            throw new PipelineInputException(
                $"{Name}: 'steps' = {steps} asks for {steps + 1} times but the list gives {list.Length}; {source} or 'steps'");
        return TimeList.Check(list, schedule, Name, source);
    }

    /// <summary>A 1-D array of times; any other shape is refused, since flattening [2, 5] would silently make ten steps.</summary>
    static double[] ReadList(string path)
    {
        using var array = NpyFile.Read(path);
        if (array.dim() != 1)
            throw new PipelineInputException(
                $"{Name}: the file '{path}' ('file') holds an array of shape [{string.Join(", ", array.shape)}]; time steps are a 1-D array of times, e.g. numpy.save(path, times.reshape(-1)) for one list");
        using var times = array.to_type(TorchSharp.torch.ScalarType.Float64);
        return times.data<double>().ToArray();
    }

    static (double[]? Times, long[]? Indices) Load(string path)
    {
        if (!System.IO.File.Exists(path))
            throw new PipelineInputException(
                $"{Name}: the file '{path}' ('file') does not exist; relative paths are resolved against the definition's folder");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".npy") return (ReadList(path), null);
        if (extension != ".json")
            throw new PipelineInputException($"{Name}: 'file' must be a .npy or .json file, got '{path}'");
        try
        {
            // The host's definition format: standard JSON plus comments and trailing commas.
            using var document = JsonDocument.Parse(System.IO.File.ReadAllText(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array) return (root.EnumerateArray().Select(e => e.GetDouble()).ToArray(), null);
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("times", out var t)) return (t.EnumerateArray().Select(e => e.GetDouble()).ToArray(), null);
                if (root.TryGetProperty("indices", out var ix)) return (null, ix.EnumerateArray().Select(e => e.GetInt64()).ToArray());
            }
            throw new PipelineInputException(
                $"{Name}: '{path}' ('file') must hold a JSON array of times or an object with a 'times' or 'indices' array");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new PipelineInputException($"{Name}: '{path}' ('file') is not a valid JSON list of numbers: {e.Message}", null, e);
        }
    }
}
