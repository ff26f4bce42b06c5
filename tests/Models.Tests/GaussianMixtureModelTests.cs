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

public class GaussianMixtureModelTests
{
    static GaussianMixtureOptions Options(bool conditional = false) => new()
    {
        Weights = GaussianMixtureTests.Weights,
        Means = GaussianMixtureTests.Means,
        Stds = GaussianMixtureTests.Stds,
        Conditional = conditional,
    };

    [Fact]
    public void ExportIsAModelPluginNamedGmm()
    {
        var attribute = typeof(GaussianMixtureModelExport).GetCustomAttribute<PluginAttribute>()!;
        Assert.Equal(PluginKinds.Model, attribute.Kind);
        Assert.Equal("gmm", attribute.Name);
        var export = new GaussianMixtureModelExport();
        Assert.Equal(typeof(GaussianMixtureModel), export.Implementation);
        Assert.Equal(typeof(GaussianMixtureOptions), export.Options);
        Assert.True(typeof(IDiffusionModel).IsAssignableFrom(export.Implementation));
    }

    [Fact]
    public void PredictsExactEpsilonFromAlphaAndSigma()
    {
        using var model = new GaussianMixtureModel(Options());
        Assert.Equal(PredictionType.Epsilon, model.Prediction);
        Assert.Equal(TimeInput.Continuous, model.TimeInput);
        Assert.Equal([3L], model.SampleShape!);
        Assert.Null(model.Classes);
        using var x = randn([7, 3], float32, generator: new Generator(1));
        // Input deliberately not t: the model must use alpha and sigma.
        var time = new ModelTime(0.37, 0.8, 0.6, Input: 12345);
        using var eps = model.Forward(x, time, null);
        using var expected = model.Mixture.Epsilon(x.to_type(float64), 0.8, 0.6);
        Assert.Equal(ScalarType.Float32, eps.dtype);
        Assert.True(eps.to_type(float64).allclose(expected, rtol: 1e-6, atol: 1e-6));
        // An unconditional mixture ignores labels.
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0 });
        using var ignored = model.Forward(x, time, labels);
        Assert.True(ignored.allclose(eps, rtol: 0, atol: 0));
    }

    [Fact]
    public void ConditionalLabelsSelectAComponentAndNullLabelTheMixture()
    {
        using var model = new GaussianMixtureModel(Options(conditional: true));
        Assert.Equal(3, model.Classes);
        var reference = new ReferenceMixture(GaussianMixtureTests.Weights, GaussianMixtureTests.Means, GaussianMixtureTests.Stds);
        using var x = randn([5, 3], float64, generator: new Generator(2));
        var time = new ModelTime(0.5, 0.7, Math.Sqrt(1 - 0.49), 0.5);
        long[] l = [2, Conditioning.NullLabel, 0, 1, Conditioning.NullLabel];
        using var labels = tensor(l);
        using var eps = model.Forward(x, time, labels);
        using var mixture = model.Forward(x, time, null);
        using var unconditional = model.Mixture.Epsilon(x, time.Alpha, time.Sigma);
        Assert.True(mixture.allclose(unconditional, rtol: 0, atol: 0));
        for (int i = 0; i < 5; i++)
        {
            var row = eps[i].data<double>().ToArray();
            var expected = l[i] < 0
                ? mixture[i].data<double>().ToArray()
                : reference.ComponentEpsilon((int)l[i], x[i].data<double>().ToArray(), time.Alpha, time.Sigma);
            Assert.Equal(expected, row, new DoubleTolerance(1e-13));
        }
        // Component eps differs from the mixture's: the label matters.
        Assert.True((eps[0] - mixture[0]).abs().max().item<double>() > 1e-3);
    }

    [Fact]
    public void SampleShapeOptionShapesTheModel()
    {
        var options = Options();
        options.SampleShape = [1, 3];
        using var model = new GaussianMixtureModel(options);
        Assert.Equal([1L, 3L], model.SampleShape!);
        using var x = randn([2, 1, 3], float64);
        using var eps = model.Forward(x, new ModelTime(0.5, 0.9, 0.4, 0.5), null);
        Assert.Equal([2L, 1L, 3L], eps.shape);
        var e = Assert.Throws<PipelineInputException>(() => model.Forward(zeros(2, 4, float64), new ModelTime(0.5, 0.9, 0.4, 0.5), null));
        Assert.Contains("3 values per sample", e.Message);
    }

    [Theory]
    [InlineData("weights-length", "Means", "one mean vector per component")]
    [InlineData("weight-zero", "Weights", "must be positive")]
    [InlineData("means-ragged", "Means", "same dimension")]
    [InlineData("stds-length", "Stds", "give 1 (isotropic) or 3 (diagonal")]
    [InlineData("std-negative", "Stds", "must be positive")]
    [InlineData("stds-rows", "Stds", "one std entry per component")]
    [InlineData("shape", "SampleShape", "holds 4 values per sample but the means have dimension 3")]
    [InlineData("weights-missing", "Weights", "one positive weight per mixture component")]
    public void InvalidOptionsGiveClearMessages(string what, string member, string fragment)
    {
        var o = Options();
        switch (what)
        {
            case "weights-length": o.Weights = [1, 1]; break;
            case "weight-zero": o.Weights = [1, 0, 1]; break;
            case "means-ragged": o.Means = [[0, 0, 0], [1, 1], [2, 2, 2]]; break;
            case "stds-length": o.Stds = [[1], [1, 2], [1]]; break;
            case "std-negative": o.Stds = [[1], [1, -2, 1], [1]]; break;
            case "stds-rows": o.Stds = [[1]]; break;
            case "shape": o.SampleShape = [2, 2]; break;
            case "weights-missing": o.Weights = null!; break;
        }
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(o, new ValidationContext(o), results, validateAllProperties: true);
        // [Required] reports the missing list itself; otherwise the cross-field checks name the option.
        if (what != "weights-missing")
        {
            var result = Assert.Single(results);
            Assert.Equal(member, Assert.Single(result.MemberNames));
            Assert.Contains(fragment, result.ErrorMessage);
        }
        var e = Assert.Throws<PipelineInputException>(() => new GaussianMixtureModel(o));
        Assert.Contains(fragment, e.Message);
        Assert.Equal("$.model." + OptionsConventions.JsonName(member), e.Path);
    }
}
