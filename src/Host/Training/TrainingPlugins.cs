using System.Composition.Hosting;
using System.Reflection;
using Pipeline.Host.Definitions;
using Pipeline.Host.Plugins;
using Pipeline.Options;
using TorchSharp;

namespace Pipeline.Host.Training;

/// <summary>A network a plugin can build for training: a fresh module, its resolved architecture, and its checkpoint writer.</summary>
/// <param name="Role">"denoiser": forward(x, step index, labels) = eps; "time-classifier": forward(x, step index) = logits;
/// "classifier": forward(x) = logits.</param>
public sealed record TrainableNetwork(string Name, IReadOnlyList<string> Aliases, string Role, string Summary,
    Func<string?, (torch.nn.Module Network, string Architecture, Action<string, bool, string?> Save)> Create);

/// <summary>A data set a plugin can load: (folder or null, base folder) -> training and held-out images and labels.</summary>
public sealed record TrainingDataset(string Name, string Summary,
    Func<string?, string, (torch.Tensor TrainImages, torch.Tensor TrainLabels, torch.Tensor HeldOutImages, torch.Tensor HeldOutLabels)> Load);

/// <summary>A checkpoint reader a plugin offers for its network <paramref name="Name"/>: path -> (network in eval mode, architecture JSON, training JSON or null).</summary>
public sealed record TrainingCheckpointReader(string Name, Func<string, (torch.nn.Module Network, string Architecture, string? Training)> Read);

/// <summary>
/// Finds trainable networks and data sets in the loaded plugin assemblies. Abstractions has no training
/// contract, so plugins export them through MEF under fixed contract names, typed with shared types only
/// (TorchSharp and the base library), with string metadata Name, Aliases, Role and Summary.
/// </summary>
public sealed class TrainingPlugins
{
    public const string NetworkContract = "pipeline.training.network";
    public const string DatasetContract = "pipeline.training.dataset";
    public const string CheckpointContract = "pipeline.training.checkpoint";

    public IReadOnlyList<TrainableNetwork> Networks { get; }
    public IReadOnlyList<TrainingDataset> Datasets { get; }
    public IReadOnlyList<TrainingCheckpointReader> CheckpointReaders { get; }

    TrainingPlugins(IReadOnlyList<TrainableNetwork> networks, IReadOnlyList<TrainingDataset> datasets, IReadOnlyList<TrainingCheckpointReader> readers)
    {
        Networks = networks;
        Datasets = datasets;
        CheckpointReaders = readers;
    }

    public static TrainingPlugins Find(PluginCatalog catalog) => Find(catalog.Entries.Select(e => e.Implementation.Assembly).Distinct());

    public static TrainingPlugins Find(IEnumerable<Assembly> assemblies)
    {
        var networks = new List<TrainableNetwork>();
        var datasets = new List<TrainingDataset>();
        var readers = new List<TrainingCheckpointReader>();
        foreach (var assembly in assemblies)
        {
            using var container = new ContainerConfiguration().WithAssembly(assembly).CreateContainer();
            foreach (var export in container.GetExports<Lazy<Func<string?, (torch.nn.Module, string, Action<string, bool, string?>)>, IDictionary<string, object>>>(NetworkContract))
            {
                var m = export.Metadata;
                networks.Add(new TrainableNetwork(Text(m, "Name"), Split(Text(m, "Aliases")), Text(m, "Role"), Text(m, "Summary"), export.Value));
            }
            foreach (var export in container.GetExports<Lazy<Func<string?, string, (torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor)>, IDictionary<string, object>>>(DatasetContract))
            {
                var m = export.Metadata;
                datasets.Add(new TrainingDataset(Text(m, "Name"), Text(m, "Summary"), export.Value));
            }
            foreach (var export in container.GetExports<Lazy<Func<string, (torch.nn.Module, string, string?)>, IDictionary<string, object>>>(CheckpointContract))
                readers.Add(new TrainingCheckpointReader(Text(export.Metadata, "Name"), export.Value));
        }
        return new TrainingPlugins(networks, datasets, readers);
    }

    public TrainableNetwork Network(string name, Newtonsoft.Json.Linq.JToken? at = null)
    {
        var found = Networks.Where(n => Matches(name, n.Name) || n.Aliases.Any(a => Matches(name, a))).ToList();
        if (found.Count == 1) return found[0];
        var names = Networks.Select(n => n.Name).Order().ToList();
        if (found.Count > 1)
            throw DefinitionError.At(at, $"network '{name}' is defined by several plugins; remove all but one");
        throw DefinitionError.At(at, $"unknown network '{name}'.{NameSuggester.Hint(name, names)} Trainable networks: {(names.Count == 0 ? "none (no plugin exports one)" : string.Join(", ", names))}");
    }

    public TrainingDataset Dataset(string name, Newtonsoft.Json.Linq.JToken? at = null)
    {
        var found = Datasets.FirstOrDefault(d => Matches(name, d.Name));
        if (found is not null) return found;
        var names = Datasets.Select(d => d.Name).Order().ToList();
        throw DefinitionError.At(at, $"unknown data set '{name}'.{NameSuggester.Hint(name, names)} Data sets: {(names.Count == 0 ? "none" : string.Join(", ", names))}");
    }

    static bool Matches(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    static string Text(IDictionary<string, object> metadata, string key) => metadata.TryGetValue(key, out var v) && v is string s ? s : "";

    static IReadOnlyList<string> Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
