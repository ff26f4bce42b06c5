using System.Text.Json.Nodes;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Checkpoints;
using Pipeline.Plugins.Models.Mnist.Networks;
using static TorchSharp.torch;

namespace Pipeline.Tests.Mnist;

public class CheckpointTests
{
    static string SaveTiny(TempFolder temp, string name = "unet.ckpt", int seed = 1)
    {
        using var unet = new MnistUnet(NetworkTests.TinyUnet);
        NetworkTests.Scramble(unet, seed);
        var path = temp.File(name);
        MnistCheckpoint.Save(unet, path, ema: true, new JsonObject { ["step"] = 7 });
        return path;
    }

    [Fact]
    public void ASavedNetworkLoadsWithTheSameWeightsAndItsRecord()
    {
        using var temp = new TempFolder();
        using var unet = new MnistUnet(NetworkTests.TinyUnet);
        NetworkTests.Scramble(unet, 5);
        unet.eval();
        var path = temp.File("tiny.ckpt");
        MnistCheckpoint.Save(unet, path, ema: true, new JsonObject { ["step"] = 7 });

        using var loaded = (MnistUnet)MnistCheckpoint.Load(path, out var info, MnistNetworks.Unet);
        Assert.Equal(MnistNetworks.Unet, info.Network);
        Assert.True(info.Ema);
        Assert.Equal(7, (int)info.Training!["step"]!);
        Assert.Equal(MnistNetworks.ParameterCount(unet), info.Parameters);
        Assert.Equal(8, (int)info.Architecture["channels"]!);
        Assert.False(loaded.training);
        using var x = randn([2, 1, 28, 28]);
        using var steps = tensor(new float[] { 3, 900 });
        using var labels = tensor(new long[] { 2, -1 });
        using var a = unet.forward(x, steps, labels);
        using var b = loaded.forward(x, steps, labels);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp-*"));
    }

    [Fact]
    public void ATruncatedCheckpointIsRefusedBeforeLoading()
    {
        using var temp = new TempFolder();
        var path = SaveTiny(temp);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 1000)]);
        var e = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(path, MnistNetworks.Unet));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void WeightsFromAnotherRunAreRefused()
    {
        using var temp = new TempFolder();
        var a = SaveTiny(temp, "a.ckpt", seed: 1);
        var b = SaveTiny(temp, "b.ckpt", seed: 2);
        File.Copy(b, a, overwrite: true); // same size, other weights
        var e = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(a));
        Assert.Contains("SHA-256", e.Message);
    }

    [Fact]
    public void WeightsThatDoNotFitTheArchitectureAreRefused()
    {
        using var temp = new TempFolder();
        var path = SaveTiny(temp);
        var infoPath = MnistCheckpoint.InfoPath(path);
        var json = JsonNode.Parse(File.ReadAllText(infoPath))!;
        json["architecture"]!["channels"] = 16; // the file hash still matches: only the sizes disagree
        File.WriteAllText(infoPath, json.ToJsonString());
        var e = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(path));
        Assert.Contains("do not fit", e.Message);
    }

    [Fact]
    public void TheWrongNetworkAMissingConfigAndAMissingFileAreNamed()
    {
        using var temp = new TempFolder();
        var path = SaveTiny(temp);
        var wrong = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(path, MnistNetworks.LeNet));
        Assert.Contains("holds a mnist-unet, not a mnist-lenet", wrong.Message);

        File.Delete(MnistCheckpoint.InfoPath(path));
        var noConfig = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(path));
        Assert.Contains("unet.json", noConfig.Message);

        var missing = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(temp.File("none.ckpt")));
        Assert.Contains("does not exist", missing.Message);

        File.WriteAllText(MnistCheckpoint.InfoPath(path), "{ \"format\": ");
        var damaged = Assert.Throws<PipelineInputException>(() => MnistCheckpoint.Load(path));
        Assert.Contains("not valid JSON", damaged.Message);
    }
}
