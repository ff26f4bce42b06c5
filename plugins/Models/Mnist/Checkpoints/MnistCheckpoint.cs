using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Options;
using Pipeline.Plugins.Models.Mnist.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Checkpoints;

/// <summary>
/// A checkpoint is two files: <c>name.ckpt</c>, the weights in TorchSharp's format (<c>Module.save</c>), and
/// <c>name.json</c>, a <see cref="CheckpointInfo"/>. Both are written to temporary files and renamed into
/// place. Loading checks the JSON, the network name, the weights' size and hash, then loads strictly: any
/// missing, truncated, swapped or mismatched file is a <see cref="PipelineInputException"/> naming the file.
/// </summary>
public static class MnistCheckpoint
{
    public const string Format = "pipeline-mnist-checkpoint";
    public const int Version = 1;

    /// <summary>The JSON file that belongs to a weights file.</summary>
    public static string InfoPath(string weights) => Path.ChangeExtension(weights, ".json");

    public static void Save(nn.Module network, string path, bool ema = false, JsonNode? training = null)
    {
        path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string suffix = $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        string weightsTemp = path + suffix, infoTemp = InfoPath(path) + suffix;
        try
        {
            network.save(weightsTemp);
            var (bytes, sha) = Fingerprint(weightsTemp);
            var info = new JsonObject
            {
                ["format"] = Format,
                ["version"] = Version,
                ["network"] = MnistNetworks.NameOf(network),
                ["weights"] = Path.GetFileName(path),
                ["weightsBytes"] = bytes,
                ["weightsSha256"] = sha,
                ["parameters"] = MnistNetworks.ParameterCount(network),
                ["ema"] = ema,
                ["architecture"] = MnistNetworks.ArchitectureOf(network),
                ["training"] = training?.DeepClone(),
            };
            File.WriteAllText(infoTemp, info.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(weightsTemp, path, overwrite: true);
            File.Move(infoTemp, InfoPath(path), overwrite: true);
        }
        finally
        {
            File.Delete(weightsTemp);
            File.Delete(infoTemp);
        }
    }

    /// <summary>Reads and checks the JSON of a checkpoint and the size and hash of its weights.</summary>
    public static CheckpointInfo ReadInfo(string path, string? expectedNetwork = null)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new PipelineInputException($"the checkpoint '{path}' does not exist; check the path, or train one with 'pipeline train' (see docs/mnist.md)");
        var infoFile = InfoPath(path);
        if (!File.Exists(infoFile))
            throw new PipelineInputException($"the checkpoint '{path}' has no '{Path.GetFileName(infoFile)}' beside it; a checkpoint is the .ckpt and the .json that 'train' writes together");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(infoFile)) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new PipelineInputException($"the checkpoint config '{infoFile}' is not valid JSON ({e.Message}); it is damaged: write the checkpoint again", null, e);
        }
        string Field(string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new PipelineInputException($"the checkpoint config '{infoFile}' lacks \"{key}\"; it was not written by 'train'");
        long Number(string key) => json[key] is JsonValue v && v.TryGetValue<long>(out var n) ? n
            : throw new PipelineInputException($"the checkpoint config '{infoFile}' lacks the number \"{key}\"; it was not written by 'train'");
        if (Field("format") != Format)
            throw new PipelineInputException($"'{infoFile}' is a '{Field("format")}' file, not a {Format}");
        if (Number("version") != Version)
            throw new PipelineInputException($"'{infoFile}' has checkpoint version {Number("version")}; this plugin reads version {Version}");
        var network = Field("network");
        if (expectedNetwork is not null && network != expectedNetwork)
            throw new PipelineInputException($"the checkpoint '{path}' holds a {network}, not a {expectedNetwork}; name a {expectedNetwork} checkpoint");
        var architecture = json["architecture"] as JsonObject
            ?? throw new PipelineInputException($"the checkpoint config '{infoFile}' lacks \"architecture\"; it was not written by 'train'");
        long bytes = Number("weightsBytes");
        string sha = Field("weightsSha256");
        var (actualBytes, actualSha) = Fingerprint(path);
        if (actualBytes != bytes)
            throw new PipelineInputException(
                $"the checkpoint '{path}' has {actualBytes} bytes but its config says {bytes}: the file is truncated or was replaced; copy or train it again");
        if (!string.Equals(actualSha, sha, StringComparison.OrdinalIgnoreCase))
            throw new PipelineInputException(
                $"the checkpoint '{path}' does not match '{Path.GetFileName(infoFile)}' (SHA-256 differs): the two files come from different runs or the weights are damaged");
        bool ema = json["ema"] is JsonValue emaValue && emaValue.TryGetValue<bool>(out var flag) && flag;
        return new CheckpointInfo(network, (JsonObject)architecture.DeepClone(), json["parameters"] is JsonValue p && p.TryGetValue<long>(out var count) ? count : 0,
            ema, bytes, sha, json["training"]?.DeepClone());
    }

    /// <summary>Loads a checkpoint's network in eval mode on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public static nn.Module Load(string path, string? expectedNetwork = null, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        Load(path, out _, expectedNetwork, device, dtype);

    public static nn.Module Load(string path, out CheckpointInfo info, string? expectedNetwork = null, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        path = Path.GetFullPath(path);
        info = ReadInfo(path, expectedNetwork);
        var network = MnistNetworks.Create(info.Network, info.Architecture.ToJsonString(), $"the architecture in '{InfoPath(path)}'");
        try
        {
            network.load(path, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            network.Dispose();
            throw new PipelineInputException(
                $"the weights in '{path}' do not fit the {info.Network} architecture in its config ({e.Message}); the checkpoint is damaged or its files were mixed up", null, e);
        }
        network.eval();
        if (device is not null || dtype != ScalarType.Float32) network.to(device ?? CPU, dtype);
        return network;
    }

    /// <summary>A checkpoint's network as <typeparamref name="T"/>.</summary>
    public static T Load<T>(string path, string expectedNetwork, Device? device = null, ScalarType dtype = ScalarType.Float32) where T : nn.Module =>
        (T)Load(path, expectedNetwork, device, dtype);

    static (long Bytes, string Sha256) Fingerprint(string file)
    {
        using var stream = File.OpenRead(file);
        var hash = SHA256.HashData(stream);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }
}
