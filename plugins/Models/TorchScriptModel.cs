using System.ComponentModel.DataAnnotations;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models;

[Plugin(PluginKinds.Model, "torchscript", Aliases = "jit,torch-script",
    Summary = "A network saved with torch.jit.save, called as forward(x, t) or forward(x, t, labels)")]
public sealed class TorchScriptModelExport : PluginExport<TorchScriptModel, TorchScriptModelOptions>;

/// <summary>
/// A TorchScript network loaded with torch.jit.load onto the run's device. It receives x in the run's
/// dtype and a time tensor [B] of that dtype filled with <see cref="ModelTime.Input"/>; a conditional one
/// also receives int64 labels [B].
/// </summary>
public sealed class TorchScriptModel : IDiffusionModel, IDisposable
{
    readonly jit.ScriptModule _module;
    readonly RunEnvironment _environment;
    readonly string _file;
    readonly long? _nullLabel;
    readonly long[] _sampleShape;
    bool _checked;

    public TorchScriptModel(TorchScriptModelOptions options, RunEnvironment environment)
    {
        var problem = options.Validate(new ValidationContext(options)).FirstOrDefault();
        if (problem is not null)
            throw new PipelineInputException(problem.ErrorMessage!, "$.model." + OptionsConventions.JsonName(problem.MemberNames.First()));

        _environment = environment;
        _file = environment.Resolve(options.Path);
        Prediction = options.Prediction;
        TimeInput = options.TimeInput;
        Classes = options.Classes;
        _sampleShape = (long[])options.SampleShape.Clone();
        _nullLabel = options.NullLabel;

        if (!File.Exists(_file))
            throw new PipelineInputException(
                $"model file '{_file}' does not exist; check 'path' (relative paths are resolved against the definition's folder)", "$.model.path");
        try
        {
            _module = jit.load(_file, environment.Device);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new PipelineInputException(
                $"model file '{_file}' is not a TorchScript module torch.jit.load can read ({FirstLine(e.Message)}); " +
                "save the model with torch.jit.save(torch.jit.script(model), path)", "$.model.path", e);
        }
        _module.eval();
    }

    public PredictionType Prediction { get; }

    public TimeInput TimeInput { get; }

    public long[]? SampleShape => (long[])_sampleShape.Clone();

    public int? Classes { get; }

    public Tensor Forward(Tensor x, ModelTime time, Tensor? labels)
    {
        using var scope = NewDisposeScope();
        // Without this the module's parameters would record a graph; gradients w.r.t. x still flow when asked.
        using var grad = x.requires_grad ? null : no_grad();
        var input = x.dtype == _environment.DType ? x : x.to_type(_environment.DType);
        using var timeValue = time.Input.ToScalar();
        var t = full(x.shape[0], timeValue, _environment.DType, x.device);
        object[] arguments = Classes is null ? [input, t] : [input, t, Labels(x, labels)];

        if (!_checked && !x.shape.AsSpan(1).SequenceEqual(_sampleShape))
            throw new PipelineInputException(
                $"the model's sampleShape is [{string.Join(", ", _sampleShape)}] but it was given samples of shape [{string.Join(", ", x.shape.Skip(1))}]; " +
                "make the pipeline's sample shape and the model's 'sampleShape' agree", "$.model.sampleShape");

        object result;
        if (_checked) result = _module.forward(arguments);
        else
        {
            try
            {
                result = _module.forward(arguments);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new PipelineInputException(
                    $"calling the TorchScript model '{_file}' failed ({FirstLine(e.Message)}); check that it takes " +
                    (Classes is null ? "forward(x, t)" : "forward(x, t, labels)") +
                    $" with x of shape [B, {string.Join(", ", _sampleShape)}] in {_environment.DType}, and the 'classes' and 'sampleShape' options", "$.model", e);
            }
        }
        if (result is not Tensor output)
            throw new PipelineInputException(
                $"the TorchScript model '{_file}' returned {result?.GetType().Name ?? "nothing"} instead of one tensor", "$.model");
        if (!_checked)
        {
            // Shapes are known on the host, so this check costs no device synchronisation.
            if (!output.shape.SequenceEqual(x.shape))
                throw new PipelineInputException(
                    $"the TorchScript model '{_file}' returned shape [{string.Join(", ", output.shape)}] for input [{string.Join(", ", x.shape)}]; " +
                    $"its {OptionsConventions.EnumName(Prediction.ToString())} prediction must have the input's shape", "$.model");
            _checked = true;
        }
        return scope.MoveToOuter(output.dtype == x.dtype ? output : output.to_type(x.dtype));
    }

    Tensor Labels(Tensor x, Tensor? labels)
    {
        if (labels is null)
        {
            using var none = (_nullLabel ?? Conditioning.NullLabel).ToScalar();
            return full(x.shape[0], none, int64, x.device);
        }
        var onDevice = labels.to(x.device);
        if (_nullLabel is not long nullLabel) return onDevice;
        using var replacement = nullLabel.ToScalar();
        using var marker = ((long)Conditioning.NullLabel).ToScalar();
        return onDevice.masked_fill(onDevice.eq(marker), replacement);
    }

    /// <summary>The first line of a libtorch error, and its last one (where TorchScript puts the cause).</summary>
    static string FirstLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string text = lines.Length switch
        {
            0 => "",
            1 => lines[0],
            _ => lines[0] + " ... " + lines[^1],
        };
        return text.Length > 400 ? text[..400] + "..." : text;
    }

    public void Dispose() => _module.Dispose();
}
