namespace Pipeline.Models;

/// <summary>
/// One block of a network that can be left out of an evaluation (AutoDiffusion's structure search, Li et al. 2023,
/// sec. 3.2): a skipped residual block passes its input through its shortcut, a skipped attention block passes its
/// input through unchanged.
/// </summary>
/// <param name="Name">The block's name, unique in the model, as structure files spell it (e.g. "mid.attn").</param>
/// <param name="Cost">
/// The share of one full evaluation's cost that skipping the block saves, in (0, 1); how it is counted (FLOPs from the
/// layer shapes, wall time) is the model's to say in <see cref="ISkippableBlocks.CostUnit"/>.
/// </param>
public sealed record SkippableBlock(string Name, double Cost);
