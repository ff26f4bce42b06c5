using System.Security.Cryptography;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Running;
using Pipeline.Options;

namespace Pipeline.Host.Sharding;

/// <summary>
/// shard.json, the last file a shard writes: which definition (the SHA-256 of its definition.resolved.json), which
/// shard and sample range, the samples' seeds, the versions that ran it, the run's figures, and the size and SHA-256 of
/// every other file of the folder, so that a merge can refuse a shard of another definition, a duplicate, a gap, and a
/// truncated or altered file. Its format is in docs/scale.md.
/// </summary>
public sealed class ShardManifest
{
    public const string FileName = "shard.json";
    public const string Format = "pipeline-shard/1";

    public required string Folder { get; init; }
    public required string DefinitionSha256 { get; init; }
    public required ShardSpec Shard { get; init; }
    public required SampleRange Range { get; init; }
    public required int Samples { get; init; }
    public required int BatchSize { get; init; }
    public required JObject Versions { get; init; }
    public required string Device { get; init; }
    public required JObject Run { get; init; }
    public required IReadOnlyDictionary<string, (string Sha256, long Bytes)> Files { get; init; }

    /// <summary>Writes the manifest of the files already in <paramref name="folder"/> (all but the hidden ones).</summary>
    public static void Write(string folder, ShardSpec shard, SampleRange range, int samples, int batchSize, long? seed, long[] seeds,
        string device, JObject run)
    {
        var files = new JObject();
        foreach (var file in Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(f => !f!.StartsWith('.')).Order(StringComparer.Ordinal))
        {
            var (sha, bytes) = Checksum(Path.Combine(folder, file!));
            files[file!] = new JObject { ["sha256"] = sha, ["bytes"] = bytes };
        }
        var manifest = new JObject
        {
            ["format"] = Format,
            ["definitionSha256"] = Checksum(Path.Combine(folder, Outputs.RunWriter.ResolvedFile)).Sha256,
            ["shard"] = new JObject { ["index"] = shard.Index, ["count"] = shard.Count },
            ["range"] = new JObject { ["start"] = range.Start, ["end"] = range.End },
            ["samples"] = samples,
            ["batchSize"] = batchSize,
            ["seed"] = seed,
            ["seeds"] = new JArray(seeds),
            ["versions"] = Outputs.RunWriter.Versions(),
            ["device"] = device,
            ["run"] = run,
            ["files"] = files,
        };
        File.WriteAllText(Path.Combine(folder, FileName), manifest.ToString(Formatting.Indented));
    }

    /// <summary>
    /// Reads a shard folder's manifest and checks every file it lists against its size and SHA-256. Every problem is
    /// an input error naming the folder.
    /// </summary>
    public static ShardManifest Read(string folder)
    {
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        PipelineInputException Bad(string message) => new($"shard folder '{folder}': {message}", folder);
        if (!Directory.Exists(folder)) throw Bad("does not exist");
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw Bad($"has no {FileName}, so it is not a complete shard (written by 'pipeline run --shard K/N'); run that shard again");
        JObject m;
        try { m = JObject.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw Bad($"{FileName} is not valid JSON ({e.Message}); run that shard again"); }
        if ((string?)m["format"] != Format) throw Bad($"{FileName} has format '{m["format"]}', not '{Format}'");
        try
        {
            var files = new Dictionary<string, (string, long)>();
            foreach (var (name, entry) in (JObject)m["files"]!)
            {
                string sha = (string)entry!["sha256"]!;
                long bytes = (long)entry["bytes"]!;
                var file = Path.Combine(folder, name);
                if (name.Contains('/') || name.Contains('\\')) throw Bad($"{FileName} lists '{name}', which is not a file of the folder");
                if (!File.Exists(file)) throw Bad($"{name} is missing; run that shard again");
                var (actualSha, actualBytes) = Checksum(file);
                if (actualBytes != bytes) throw Bad($"{name} has {actualBytes} bytes but was written with {bytes}: the shard is truncated or altered; run it again");
                if (actualSha != sha) throw Bad($"{name} does not match its SHA-256 in {FileName}: the shard is corrupt; run it again");
                files[name] = (sha, bytes);
            }
            string definition = (string)m["definitionSha256"]!;
            if (!files.TryGetValue(Outputs.RunWriter.ResolvedFile, out var resolved) || resolved.Item1 != definition)
                throw Bad($"its {Outputs.RunWriter.ResolvedFile} is not the definition its {FileName} names; run that shard again");
            if (!files.ContainsKey(Outputs.RunWriter.SamplesFile)) throw Bad($"{FileName} lists no {Outputs.RunWriter.SamplesFile}");
            int start = (int)m["range"]!["start"]!, end = (int)m["range"]!["end"]!;
            return new ShardManifest
            {
                Folder = folder,
                DefinitionSha256 = definition,
                Shard = new ShardSpec((int)m["shard"]!["index"]!, (int)m["shard"]!["count"]!),
                Range = new SampleRange(start, end - start),
                Samples = (int)m["samples"]!,
                BatchSize = (int)m["batchSize"]!,
                Versions = (JObject)m["versions"]!,
                Device = (string)m["device"]!,
                Run = (JObject)m["run"]!,
                Files = files,
            };
        }
        catch (Exception e) when (e is NullReferenceException or InvalidCastException or FormatException or ArgumentException or OverflowException)
        {
            throw Bad($"{FileName} lacks a field or has one of the wrong type ({e.Message}); run that shard again");
        }
    }

    public static (string Sha256, long Bytes) Checksum(string file)
    {
        using var stream = File.OpenRead(file);
        return (Convert.ToHexStringLower(SHA256.HashData(stream)), stream.Length);
    }
}
