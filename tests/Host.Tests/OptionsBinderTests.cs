using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Definitions;
using Pipeline.Options;

namespace Pipeline.Tests;

public class OptionsBinderTests
{
    public enum Variance { BetaTilde, Beta }

    public sealed class Sample : IValidatableObject
    {
        [Range(1, 3)] public int Order { get; set; } = 2;
        public double Scale { get; set; } = 1.5;
        public Variance Variance { get; set; } = Variance.BetaTilde;
        public double[][]? Matrix { get; set; }
        public long? Limit { get; set; }
        [Required, Description("a file")] public string? Path { get; set; }

        public IEnumerable<ValidationResult> Validate(ValidationContext context)
        {
            if (Limit is < 0) yield return new("limit must not be negative", [nameof(Limit)]);
        }
    }

    static JObject Parse(string json) => (JObject)PipelineDefinition.Parse(json).Document;

    [Fact]
    public void BindsValuesAndKeepsDefaults()
    {
        var o = OptionsBinder.Bind<Sample>(Parse("""{ "path": "a", "variance": "beta", "matrix": [[1, 2], [3.5]], "limit": 9 }"""), "test");
        Assert.Equal(2, o.Order);
        Assert.Equal(Variance.Beta, o.Variance);
        Assert.Equal(3.5, o.Matrix![1][0]);
        Assert.Equal(9L, o.Limit);
        var written = OptionsBinder.Write(o);
        Assert.Equal("beta", (string?)written["variance"]);
        Assert.Equal(1.5, (double)written["scale"]!);
        var again = OptionsBinder.Bind<Sample>(written, "test");
        Assert.Equal(OptionsBinder.Write(again).ToString(), written.ToString());
    }

    [Theory]
    [InlineData("""{ "path": "a", "order": 4 }""", "$.order")]
    [InlineData("""{ "path": "a", "order": 1.5 }""", "$.order")]
    [InlineData("""{ "path": "a", "scale": true }""", "$.scale")]
    [InlineData("""{ "path": "a", "variance": "bta" }""", "Did you mean 'beta'?")]
    [InlineData("""{ "path": "a", "limit": -1 }""", "$.limit")]
    [InlineData("""{ "path": "a", "limit": 99999999999999999999999 }""", "out of range")]
    [InlineData("""{ "path": "a", "matrix": [[1], "x"] }""", "$.matrix[1]")]
    [InlineData("""{ "order": 1 }""", "$.path")]
    [InlineData("""{ "path": "a", "scael": 1 }""", "Did you mean 'scale'?")]
    public void RejectsBadValuesWithTheirPath(string json, string expected)
    {
        var e = Assert.Throws<PipelineInputException>(() => OptionsBinder.Bind<Sample>(Parse(json), "test"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void EnumNamesAreKebabCase()
    {
        Assert.Equal("squaredcos-cap-v2", OptionsConventions.EnumName("SquaredcosCapV2"));
        Assert.Equal("beta-tilde", OptionsConventions.EnumName("BetaTilde"));
        Assert.Equal("discrete-index", OptionsConventions.EnumName("DiscreteIndex"));
    }
}
