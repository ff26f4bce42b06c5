using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using Pipeline.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

/// <summary>mnist-unet's skippable blocks (AutoDiffusion's structure search): masks, pass-through and counted cost.</summary>
public class SkippableBlocksTests
{
    static MnistUnet Tiny(int seed)
    {
        var unet = new MnistUnet(NetworkTests.TinyUnet);
        NetworkTests.Scramble(unet, seed);
        unet.eval();
        return unet;
    }

    /// <summary>Equal bit for bit: the same shape and the same float32 bit patterns.</summary>
    static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) &&
        a.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits));

    static (Tensor X, Tensor Steps, Tensor Labels) Inputs() =>
        (randn([2, 1, 28, 28], generator: new Generator(5)), tensor(new float[] { 300, 700 }), tensor(new long[] { 3, -1 }));

    // The parameters whose zeroing makes a block's residual branch exactly 0: the last convolution of a residual
    // block, the output projection of an attention block.
    static string BranchEnd(string block) => block switch
    {
        "mid1" => "middle1.conv2.",
        "mid2" => "middle2.conv2.",
        "mid.attn" => "middleAttention.output.",
        _ when block.EndsWith(".attn") => $"{(block.StartsWith("down") ? "downAttention" : "upAttention")}.{block[(block.StartsWith("down") ? 4 : 2)..^5]}.output.",
        _ => $"{(block.StartsWith("down") ? "downBlocks" : "upBlocks")}.{block[(block.StartsWith("down") ? 4 : 2)..]}.conv2.",
    };

    [Fact]
    public void TheTinyUnetNamesItsResidualAndAttentionBlocksInTheOrderOfThePass()
    {
        using var unet = Tiny(1);
        // Two levels, one block down per level (attention at the lowest), two middle blocks around attention, two up per level.
        Assert.Equal(["down0", "down1", "down1.attn", "mid1", "mid.attn", "mid2", "up0", "up0.attn", "up1", "up1.attn", "up2", "up3"],
            unet.SkippableBlocks.Select(b => b.Name));
    }

    [Fact]
    public void AnAllFalseMaskGivesTheModelsOutputBitForBit()
    {
        using var unet = Tiny(2);
        var (x, steps, labels) = Inputs();
        using var _x = x; using var _s = steps; using var _l = labels;
        using var plain = unet.forward(x, steps, labels);
        using var masked = unet.ForwardSkipping(x, steps, labels, new bool[unet.SkippableBlocks.Count]);
        Assert.True(Same(plain, masked));
    }

    [Fact]
    public void SkippingABlockEqualsTheNetworkWithThatBlocksBranchZeroed()
    {
        using var unet = Tiny(3);
        var (x, steps, labels) = Inputs();
        using var _x = x; using var _s = steps; using var _l = labels;
        using var full = unet.forward(x, steps, labels);
        var blocks = unet.SkippableBlocks;
        for (int b = 0; b < blocks.Count; b++)
        {
            var mask = new bool[blocks.Count];
            mask[b] = true;
            using var skipped = unet.ForwardSkipping(x, steps, labels, mask);

            // By hand: the same weights with the block's residual branch ending in zeros, so the block returns its
            // shortcut (the input itself, or its 1x1 projection) and attention its input.
            using var reference = Tiny(3);
            string prefix = BranchEnd(blocks[b].Name);
            int zeroed = 0;
            using (no_grad())
                foreach (var (name, p) in reference.named_parameters())
                    if (name.StartsWith(prefix)) { p.zero_(); zeroed++; }
            Assert.True(zeroed == 2, $"{blocks[b].Name}: {prefix} matched {zeroed} parameters");
            using var expected = reference.forward(x, steps, labels);

            Assert.True(Same(skipped, expected), $"skipping {blocks[b].Name} differs from zeroing its branch");
            Assert.True(skipped.sub(full).abs().max().item<float>() > 1e-5, $"skipping {blocks[b].Name} changed nothing");
        }
    }

    [Fact]
    public void TheCountedFlopsOfTheShippedArchitectureMatchTheHandCount()
    {
        using var unet = new MnistUnet(new MnistUnetConfig());
        var flops = unet.SkippableBlocks.ToDictionary(b => b.Name, b => b.Flops);
        // 2 per multiply-add. down0 (32 -> 32 at 28x28, embedding 128): two 3x3 convolutions and the projection.
        Assert.Equal(2.0 * 32 * 32 * 9 * 784 * 2 + 2.0 * 128 * 32, flops["down0"]);
        // down1 (32 -> 64 at 14x14): its 1x1 shortcut still runs when skipped, so it is not in the saving.
        Assert.Equal(2.0 * 32 * 64 * 9 * 196 + 2.0 * 64 * 64 * 9 * 196 + 2.0 * 128 * 64, flops["down1"]);
        // Attention at 7x7, 64 channels: qkv and output 1x1 convolutions, QK^T and AV.
        Assert.Equal(2.0 * 64 * 192 * 49 + 2.0 * 64 * 64 * 49 + 4.0 * 49 * 49 * 64, flops["mid.attn"]);
        // up4 (96 -> 32 at 28x28).
        Assert.Equal(2.0 * 96 * 32 * 9 * 784 + 2.0 * 32 * 32 * 9 * 784 + 2.0 * 128 * 32, flops["up4"]);
        Assert.Equal(15, flops.Count);
        // Every convolution and linear layer of the network counted by hand (scripts: the sum of the fixed layers
        // 96,479,232 and of the blocks 283,599,872).
        Assert.Equal(380_079_104.0, unet.TotalFlops);
    }

    static (TempFolder Temp, string Examples) Layout()
    {
        var temp = new TempFolder();
        using var unet = Tiny(9);
        MnistCheckpoint.Save(unet, Path.Combine(temp.Path, "models", "mnist-unet.ckpt"));
        var examples = Path.Combine(temp.Path, "examples");
        Directory.CreateDirectory(examples);
        return (temp, examples);
    }

    [Fact]
    public void TheModelAppliesAStructureFileByTheStepOfEachEvaluationTime()
    {
        var (temp, examples) = Layout();
        using var _ = temp;
        File.WriteAllText(Path.Combine(examples, "structure.json"),
            """{ "times": [1.0, 0.5, 0.001], "skip": [["mid.attn", "up3"], []], "cost": 1.9 }""");
        using var plain = new MnistUnetModel(new MnistUnetModelOptions(), new RunEnvironment(CPU, float32, examples));
        using var model = new MnistUnetModel(new MnistUnetModelOptions { Structure = "structure.json" }, new RunEnvironment(CPU, float32, examples));
        Assert.Equal(1.0, plain.Blocks.Sum(b => b.Cost) + (plain.Network.TotalFlops - plain.Network.SkippableBlocks.Sum(b => b.Flops)) / plain.Network.TotalFlops, 12);
        using var x = randn([2, 1, 28, 28], generator: new Generator(2));
        using var labels = tensor(new long[] { 1, 2 });
        var mask = plain.Blocks.Select(b => b.Name is "mid.attn" or "up3").ToArray();

        var early = new ModelTime(0.8, 0.6, 0.8, 799);
        using var skipped = model.Forward(x, early, labels);
        using var byMask = plain.Forward(x, early, labels, mask);
        using var full = plain.Forward(x, early, labels);
        Assert.True(Same(skipped, byMask));
        Assert.False(Same(skipped, full));

        // t = 0.5 starts the second step, which skips nothing.
        var late = new ModelTime(0.5, 0.7, 0.7, 499);
        using var second = model.Forward(x, late, labels);
        using var secondFull = plain.Forward(x, late, labels);
        Assert.True(Same(second, secondFull));
    }

    [Fact]
    public void AStructureNamingABlockTheModelLacksIsALocatedInputError()
    {
        var (temp, examples) = Layout();
        using var _ = temp;
        File.WriteAllText(Path.Combine(examples, "structure.json"), """{ "times": [1.0, 0.5, 0.001], "skip": [[], ["mid.attn", "down7"]] }""");
        var error = Assert.Throws<PipelineInputException>(() =>
            new MnistUnetModel(new MnistUnetModelOptions { Structure = "structure.json" }, new RunEnvironment(CPU, float32, examples)));
        Assert.Equal("$.model.structure", error.Path);
        Assert.Contains("skip[1][1] = \"down7\" names no block", error.Message);

        File.WriteAllText(Path.Combine(examples, "structure.json"), """{ "times": [1.0, 0.5, 0.001], "skip": [[]] }""");
        var count = Assert.Throws<PipelineInputException>(() =>
            new MnistUnetModel(new MnistUnetModelOptions { Structure = "structure.json" }, new RunEnvironment(CPU, float32, examples)));
        Assert.Equal("$.model.structure", count.Path);
        Assert.Contains("one list per step", count.Message);
    }
}
