using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// A model whose blocks can be skipped per evaluation, so that a sampler may run a cheaper network at some steps
/// (AutoDiffusion's structure search, Li et al. 2023): it names its skippable blocks with their relative costs and
/// evaluates with a mask of blocks to skip. An all-false mask gives exactly the output of
/// <see cref="IDiffusionModel.Forward"/> without a structure.
/// </summary>
public interface ISkippableBlocks : IDiffusionModel
{
    /// <summary>The skippable blocks in a fixed order; masks are indexed by it.</summary>
    IReadOnlyList<SkippableBlock> Blocks { get; }

    /// <summary>How <see cref="SkippableBlock.Cost"/> is counted, in words (for reports).</summary>
    string CostUnit { get; }

    /// <summary>
    /// The raw prediction with the blocks whose entry of <paramref name="skip"/> is true left out;
    /// <paramref name="skip"/> has one entry per block of <see cref="Blocks"/>.
    /// </summary>
    torch.Tensor Forward(torch.Tensor x, ModelTime time, torch.Tensor? labels, IReadOnlyList<bool> skip);

    /// <summary>
    /// The structure <see cref="IDiffusionModel.Forward"/> applies: at each evaluation the mask of the step whose time
    /// interval holds the evaluation time (<see cref="BlockStructure.MaskAt"/>); null runs every block.
    /// </summary>
    BlockStructure? Structure { get; set; }
}
