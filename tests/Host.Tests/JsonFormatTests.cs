using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Options;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>Definitions are standard JSON plus comments and trailing commas; everything else Newtonsoft would accept is a located error.</summary>
public class JsonFormatTests
{
    static string Fails(string json)
    {
        var e = Assert.Throws<PipelineInputException>(() => PipelineDefinition.Parse(json));
        Assert.Contains("malformed JSON at line", e.Message);
        Assert.Contains("RFC 8259", e.Message);
        return e.Message;
    }

    [Theory]
    [InlineData("{ \"seed\": 0x10 }", "line 1, column 11", "hexadecimal")]
    [InlineData("{ 'name': \"a\" }", "line 1, column 3", "single-quoted key")]
    [InlineData("{ \"name\": 'a' }", "line 1, column 11", "single-quoted string")]
    [InlineData("{ name: \"a\" }", "line 1, column 3", "unquoted key 'name'")]
    [InlineData("{ \"a\": NaN }", "line 1, column 8", "NaN")]
    [InlineData("{ \"a\": Infinity }", "line 1, column 8", "Infinity")]
    [InlineData("{ \"a\": -Infinity }", "line 1, column 8", "infinite")]
    [InlineData("{ \"a\": \"tab\there\" }", "line 1, column 12", "control character U+0009")]
    [InlineData("{\n  \"a\": \"two\nlines\" }", "line 2, column 12", "control character U+000A")]
    [InlineData("{ \"a\": \"\\q\" }", "line 1, column 9", "not a JSON escape")]
    [InlineData("{ \"a\": \"\\u12\" }", "line 1, column 13", "four hexadecimal digits")]
    [InlineData("{ \"a\": 012 }", "line 1, column 8", "leading zeros")]
    [InlineData("{ \"a\": +1 }", "line 1, column 8", "where a value was expected")]
    [InlineData("{ \"a\": .5 }", "line 1, column 8", "where a value was expected")]
    [InlineData("{ \"a\": 1. }", "line 1, column 10", "decimal point")]
    [InlineData("{ \"a\": 1e }", "line 1, column 10", "exponent")]
    [InlineData("{ \"a\": undefined }", "line 1, column 8", "bare word 'undefined'")]
    [InlineData("{ \"a\": True }", "line 1, column 8", "bare word 'True'")]
    [InlineData("{ \"a\": [1 2] }", "line 1, column 11", "expected ',' or ']'")]
    [InlineData("{ \"a\": [1,,2] }", "line 1, column 11", "where a value was expected")]
    [InlineData("{ \"a\": 1,, }", "line 1, column 10", "where a key in double quotes was expected")]
    [InlineData("{ \"a\": 1 } { }", "line 1, column 12", "after the end of the document")]
    [InlineData("{ \"a\": 1 /* open", "line 1, column 10", "not closed")]
    [InlineData("{ \"a\": \"open }", "line 1, column 15", "ends inside a string")]
    public void NonStandardJsonIsALocatedError(string json, string place, string what)
    {
        var message = Fails(json);
        Assert.Contains(place, message);
        Assert.Contains(what, message);
    }

    [Fact]
    public void CommentsAndTrailingCommasAreAccepted()
    {
        var json = Definitions.Gmm(steps: 4).Replace("\"sampling\": {", "// the sampling settings\n  \"sampling\": { /* a few */").TrimEnd()[..^1] + ",\n}";
        var definition = PipelineDefinition.Parse(json.Replace("[0.3, 0.7]", "[0.3, 0.7,]"));
        using var pipeline = new PipelineHost().Compose(definition);
        Assert.Equal(16, pipeline.Count);
    }

    [Fact]
    public void TheCommandLineReportsItAsAnInputError()
    {
        using var dir = new TempFolder();
        var file = dir.Write("run.json", Definitions.Gmm(sampling: "\"count\": 2, \"seed\": 0x10"));
        var r = Cli.Run("validate", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("line 6", r.Err);
        Assert.Contains("hexadecimal", r.Err);
    }
}
