using System.Text.Json.Nodes;
using Pipeline.Options;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>The MNIST networks by name: built from an architecture config (JSON), named, and described.</summary>
public static class MnistNetworks
{
    public const string Unet = "mnist-unet";
    public const string NoisyClassifier = "mnist-noisy-classifier";
    public const string LeNet = "mnist-lenet";
    public const string Ddgan = "mnist-ddgan";

    public static IReadOnlyList<string> Names { get; } = [Unet, NoisyClassifier, LeNet, Ddgan];

    /// <summary>A fresh network (weights drawn from torch's default generator) from its architecture JSON (null = defaults).</summary>
    public static nn.Module Create(string name, string? architecture, string where = "architecture") => name switch
    {
        Unet => new MnistUnet(NetworkConfig.Parse<MnistUnetConfig>(architecture, where)),
        NoisyClassifier => new Networks.NoisyClassifier(NetworkConfig.Parse<NoisyClassifierConfig>(architecture, where)),
        LeNet => new Networks.LeNet(NetworkConfig.Parse<LeNetConfig>(architecture, where)),
        Ddgan => new Networks.Ddgan(NetworkConfig.Parse<DdganConfig>(architecture, where)),
        _ => throw new PipelineInputException($"unknown MNIST network '{name}'; the networks are {string.Join(", ", Names)}"),
    };

    public static string NameOf(nn.Module network) => network switch
    {
        MnistUnet => Unet,
        Networks.NoisyClassifier => NoisyClassifier,
        Networks.LeNet => LeNet,
        Networks.Ddgan => Ddgan,
        _ => throw new ArgumentException($"{network.GetType().Name} is not an MNIST network", nameof(network)),
    };

    /// <summary>The network's architecture with every size written out.</summary>
    public static JsonObject ArchitectureOf(nn.Module network) => network switch
    {
        MnistUnet u => NetworkConfig.ToJson(u.Config),
        Networks.NoisyClassifier c => NetworkConfig.ToJson(c.Config),
        Networks.LeNet l => NetworkConfig.ToJson(l.Config),
        Networks.Ddgan d => NetworkConfig.ToJson(d.Config),
        _ => throw new ArgumentException($"{network.GetType().Name} is not an MNIST network", nameof(network)),
    };

    public static long ParameterCount(nn.Module network) => network.parameters().Sum(p => p.numel());
}
