using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins;
using Pipeline.Plugins.Models;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>The mixture scripted in tests/Fixtures/TorchScript/make_torchscript.py (keep the two in step).</summary>
static class MixtureFixture
{
    public static readonly double[] Weights = [0.5, 0.3, 0.2];
    public static readonly double[][] Means = [[-2.0, 0.0], [1.5, 1.5], [1.0, -2.0]];
    public static readonly double[][] Stds = [[0.5], [0.3, 0.8], [0.4]];

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures");
}

public sealed class TorchScriptModelTests : IDisposable
{
    static readonly Schedules.INoiseSchedule Schedule = new DiscreteLinearSchedule();
    readonly string _scratch = Directory.CreateTempSubdirectory("torchscript-tests-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    static RunEnvironment Environment(ScalarType dtype) => new(CPU, dtype, MixtureFixture.Directory);

    static TorchScriptModelOptions Options(string file, int? classes = null) => new()
    {
        Path = file,
        Prediction = PredictionType.Epsilon,
        TimeInput = TimeInput.DiscreteIndex,
        Classes = classes,
        SampleShape = [2],
    };

    static ModelTime TimeAt(double t) =>
        new(t, Schedule.Alpha(t), Schedule.Sigma(t), TimeInputs.Convert(TimeInput.DiscreteIndex, Schedule, t));

    // Integer steps (t = 1/N, 500/N, 1), fractional steps, and a time between t = 0 and the first step.
    public static TheoryData<double> Times() => [0.001, 0.0004, 0.0105, 0.1234567, 0.5, 0.73456, 0.9995, 1.0];

    [Fact]
    public void ExportIsAModelPluginNamedTorchScript()
    {
        var attribute = typeof(TorchScriptModelExport).GetCustomAttribute<PluginAttribute>()!;
        Assert.Equal(PluginKinds.Model, attribute.Kind);
        Assert.Equal("torchscript", attribute.Name);
        Assert.Equal(typeof(TorchScriptModelOptions), new TorchScriptModelExport().Options);
    }

    [Theory]
    [MemberData(nameof(Times))]
    public void FixtureMatchesTheMixtureOnTheDiscreteScheduleInFloat64(double t)
    {
        using var model = new TorchScriptModel(Options("gmm_eps.pt"), Environment(float64));
        Assert.Equal(TimeInput.DiscreteIndex, model.TimeInput);
        Assert.Null(model.Classes);
        using var gmm = new GaussianMixture(MixtureFixture.Weights, MixtureFixture.Means, MixtureFixture.Stds);
        var time = TimeAt(t);
        using var x = (randn([32, 2], float64, generator: new Generator(1)) * 2).mul_(time.Sigma).add_(tensor(new[] { 0.5, -0.5 }, float64) * time.Alpha);
        using var eps = model.Forward(x, time, null);
        using var expected = gmm.Epsilon(x, time.Alpha, time.Sigma);
        Assert.Equal(ScalarType.Float64, eps.dtype);
        double error = (eps - expected).abs().max().item<double>();
        Assert.True(error < 1e-9, $"t = {t}: max error {error}");
    }

    [Theory]
    [MemberData(nameof(Times))]
    public void FixtureMatchesTheMixtureInFloat32(double t)
    {
        using var model = new TorchScriptModel(Options("gmm_eps.pt"), Environment(float32));
        using var gmm = new GaussianMixture(MixtureFixture.Weights, MixtureFixture.Means, MixtureFixture.Stds);
        var time = TimeAt(t);
        using var x = randn([32, 2], float32, generator: new Generator(2)).mul_(1.5);
        using var eps = model.Forward(x, time, null);
        using var expected = gmm.Epsilon(x.to_type(float64), time.Alpha, time.Sigma);
        Assert.Equal(ScalarType.Float32, eps.dtype);
        double error = (eps.to_type(float64) - expected).abs().max().item<double>();
        Assert.True(error < 1e-5, $"t = {t}: max error {error}");
    }

    [Fact]
    public void Float64InputToAFloat32RunIsConvertedBothWays()
    {
        using var model = new TorchScriptModel(Options("gmm_eps.pt"), Environment(float32));
        using var x = randn([4, 2], float64, generator: new Generator(3));
        using var eps = model.Forward(x, TimeAt(0.3), null);
        Assert.Equal(ScalarType.Float64, eps.dtype);
    }

    [Fact]
    public void ConditionalFixtureTakesLabelsAndNullLabel()
    {
        using var model = new TorchScriptModel(Options("gmm_eps_cond.pt", classes: 3), Environment(float64));
        using var gmm = new GaussianMixture(MixtureFixture.Weights, MixtureFixture.Means, MixtureFixture.Stds);
        var time = TimeAt(0.2345);
        using var x = randn([6, 2], float64, generator: new Generator(4));
        using var labels = tensor(new long[] { 0, 1, 2, -1, 1, -1 });
        using var eps = model.Forward(x, time, labels);
        using var expected = gmm.Epsilon(x, time.Alpha, time.Sigma, labels);
        Assert.True((eps - expected).abs().max().item<double>() < 1e-9);
        // No labels at all: every sample gets the null label, i.e. the mixture.
        using var none = model.Forward(x, time, null);
        using var mixture = gmm.Epsilon(x, time.Alpha, time.Sigma);
        Assert.True((none - mixture).abs().max().item<double>() < 1e-9);
    }

    [Fact]
    public void NullLabelOptionReplacesMinusOne()
    {
        // The fixture's own null is -1; declaring 2 as the network's null class must turn -1 into component 2.
        var options = Options("gmm_eps_cond.pt", classes: 3);
        options.NullLabel = 2;
        using var model = new TorchScriptModel(options, Environment(float64));
        using var gmm = new GaussianMixture(MixtureFixture.Weights, MixtureFixture.Means, MixtureFixture.Stds);
        var time = TimeAt(0.4);
        using var x = randn([3, 2], float64, generator: new Generator(5));
        using var eps = model.Forward(x, time, tensor(new long[] { -1, 0, -1 }));
        using var expected = gmm.Epsilon(x, time.Alpha, time.Sigma, tensor(new long[] { 2, 0, 2 }));
        Assert.True((eps - expected).abs().max().item<double>() < 1e-9);
    }

    [Fact]
    public void PathIsResolvedAgainstTheBaseDirectory()
    {
        File.Copy(Path.Combine(MixtureFixture.Directory, "gmm_eps.pt"), Path.Combine(_scratch, "copy.pt"));
        using var model = new TorchScriptModel(Options("copy.pt"), new RunEnvironment(CPU, float64, _scratch));
        using var eps = model.Forward(zeros(1, 2, float64), TimeAt(0.5), null);
        Assert.Equal([1L, 2L], eps.shape);
    }

    [Fact]
    public void MissingFileIsAPipelineInputError()
    {
        var e = Assert.Throws<PipelineInputException>(() => new TorchScriptModel(Options("no-such-model.pt"), Environment(float32)));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("no-such-model.pt", e.Message);
        Assert.Equal("$.model.path", e.Path);
    }

    [Fact]
    public void RandomBytesAreAPipelineInputError()
    {
        var file = Path.Combine(_scratch, "random.pt");
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<PipelineInputException>(() => new TorchScriptModel(Options(file), Environment(float32)));
        Assert.Contains("not a TorchScript module", e.Message);
    }

    [Fact]
    public void TruncatedArchiveIsAPipelineInputError()
    {
        var whole = File.ReadAllBytes(Path.Combine(MixtureFixture.Directory, "gmm_eps.pt"));
        var file = Path.Combine(_scratch, "truncated.pt");
        File.WriteAllBytes(file, whole[..(whole.Length / 2)]);
        var e = Assert.Throws<PipelineInputException>(() => new TorchScriptModel(Options(file), Environment(float32)));
        Assert.Contains("not a TorchScript module", e.Message);
    }

    [Fact]
    public void WrongOutputShapeIsAPipelineInputError()
    {
        using var model = new TorchScriptModel(Options("wrong_shape.pt"), Environment(float32));
        var e = Assert.Throws<PipelineInputException>(() => model.Forward(zeros(3, 2), TimeAt(0.5), null));
        Assert.Contains("returned shape [3, 1] for input [3, 2]", e.Message);
    }

    [Fact]
    public void SamplesOfAnotherShapeAreAPipelineInputError()
    {
        using var model = new TorchScriptModel(Options("gmm_eps.pt"), Environment(float32));
        var e = Assert.Throws<PipelineInputException>(() => model.Forward(zeros(3, 4), TimeAt(0.5), null));
        Assert.Contains("sampleShape is [2] but it was given samples of shape [4]", e.Message);
        Assert.Equal("$.model.sampleShape", e.Path);
    }

    [Fact]
    public void MissingLabelsArgumentIsAPipelineInputError()
    {
        // A conditional network loaded as unconditional is called with two arguments and refuses.
        using var model = new TorchScriptModel(Options("gmm_eps_cond.pt"), Environment(float32));
        var e = Assert.Throws<PipelineInputException>(() => model.Forward(zeros(3, 2), TimeAt(0.5), null));
        Assert.Contains("forward(x, t)", e.Message);
    }

    [Fact]
    public void OptionsAreValidated()
    {
        var noShape = Options("gmm_eps.pt");
        noShape.SampleShape = [];
        var e = Assert.Throws<PipelineInputException>(() => new TorchScriptModel(noShape, Environment(float32)));
        Assert.Equal("$.model.sampleShape", e.Path);

        var nullLabelOnly = Options("gmm_eps.pt");
        nullLabelOnly.NullLabel = 5;
        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(nullLabelOnly, new ValidationContext(nullLabelOnly), results, true));
        Assert.Equal("NullLabel", Assert.Single(Assert.Single(results).MemberNames));

        var zeroClasses = Options("gmm_eps.pt", classes: 0);
        results.Clear();
        Assert.False(Validator.TryValidateObject(zeroClasses, new ValidationContext(zeroClasses), results, true));
        Assert.Equal("Classes", Assert.Single(Assert.Single(results).MemberNames));
    }
}
