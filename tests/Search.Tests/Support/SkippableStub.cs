using Pipeline.Models;
using TorchSharp;

namespace Pipeline.Tests.Support;

/// <summary>A model with three made-up skippable blocks (costs 0.3, 0.2, 0.1) that records the structure it is given.</summary>
public sealed class SkippableStub(IDiffusionModel inner) : ISkippableBlocks
{
    public IReadOnlyList<SkippableBlock> Blocks { get; } = [new("a", 0.3), new("b", 0.2), new("c", 0.1)];
    public string CostUnit => "made up";
    public BlockStructure? Structure { get; set; }
    public PredictionType Prediction => inner.Prediction;
    public TimeInput TimeInput => inner.TimeInput;
    public long[]? SampleShape => inner.SampleShape;
    public int? Classes => inner.Classes;
    public torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels) => inner.Forward(x, time, labels);
    public torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels, IReadOnlyList<bool> skip) => inner.Forward(x, time, labels);
}
