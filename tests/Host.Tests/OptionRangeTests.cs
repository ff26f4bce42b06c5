using System.ComponentModel.DataAnnotations;
using Pipeline.Host.Definitions;

namespace Pipeline.Tests;

/// <summary>The range of an option as `list` prints it and the JSON Schema writes it.</summary>
public class OptionRangeTests
{
    sealed class Options
    {
        [Range(0.0, 1.0)] public double Closed { get; set; }
        [Range(0.0, 1e6, MinimumIsExclusive = true)] public double HalfOpen { get; set; } = 1;
        [Range(1, int.MaxValue)] public int AtLeastOne { get; set; } = 1;
        [Range(0.0, double.MaxValue, MinimumIsExclusive = true)] public double? Positive { get; set; }
        [Range(int.MinValue, 3, MaximumIsExclusive = true)] public long BelowThree { get; set; }
        public double Free { get; set; }
    }

    static OptionRange? Of(string name) => OptionRange.Of(typeof(Options).GetProperty(name)!);

    [Fact]
    public void BoundsAtTheTypesLimitAreNoBoundsAndExclusiveOnesAreOpen()
    {
        Assert.Equal("in [0, 1]", Of("Closed")!.ToString());
        Assert.Equal("in (0, 1000000]", Of("HalfOpen")!.ToString());
        Assert.Equal(">= 1", Of("AtLeastOne")!.ToString());
        Assert.Equal("> 0", Of("Positive")!.ToString());
        // int.MinValue is no limit of a long: it is written.
        Assert.Equal("in [-2147483648, 3)", Of("BelowThree")!.ToString());
        Assert.Null(Of("Free"));
    }

    [Fact]
    public void TheSchemaUsesTheExclusiveKeywordsAndLeavesOutUnboundedSides()
    {
        var props = SchemaWriter.Options(typeof(Options))["properties"]!;
        Assert.Equal(0, (double)props["closed"]!["minimum"]!);
        Assert.Equal(1, (double)props["closed"]!["maximum"]!);
        Assert.Equal(0, (double)props["halfOpen"]!["exclusiveMinimum"]!);
        Assert.Null(props["halfOpen"]!["minimum"]);
        Assert.Equal(1, (long)props["atLeastOne"]!["minimum"]!);
        Assert.Null(props["atLeastOne"]!["maximum"]);
        Assert.Null(props["positive"]!["maximum"]);
        Assert.Equal(3, (long)props["belowThree"]!["exclusiveMaximum"]!);
        Assert.Null(props["free"]!["minimum"]);
    }
}
