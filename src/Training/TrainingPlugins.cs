using System.Composition.Hosting;
using System.Reflection;
using Pipeline.Host.Definitions;
using Pipeline.Host.Plugins;
using Pipeline.Training;

namespace Pipeline.Host.Training;

/// <summary>
/// Finds the training contract's exports (<see cref="ITrainableNetwork"/>, <see cref="ITrainingDataset"/>,
/// <see cref="ITrainingCheckpointReader"/>) in the loaded plugin assemblies.
/// </summary>
public sealed class TrainingPlugins
{
    public IReadOnlyList<ITrainableNetwork> Networks { get; }
    public IReadOnlyList<ITrainingDataset> Datasets { get; }
    public IReadOnlyList<ITrainingCheckpointReader> CheckpointReaders { get; }

    TrainingPlugins(IReadOnlyList<ITrainableNetwork> networks, IReadOnlyList<ITrainingDataset> datasets, IReadOnlyList<ITrainingCheckpointReader> readers)
    {
        Networks = networks;
        Datasets = datasets;
        CheckpointReaders = readers;
    }

    public static TrainingPlugins Find(PluginCatalog catalog) => Find(catalog.Entries.Select(e => e.Implementation.Assembly).Distinct());

    public static TrainingPlugins Find(IEnumerable<Assembly> assemblies)
    {
        var networks = new List<ITrainableNetwork>();
        var datasets = new List<ITrainingDataset>();
        var readers = new List<ITrainingCheckpointReader>();
        foreach (var assembly in assemblies)
        {
            using var container = new ContainerConfiguration().WithAssembly(assembly).CreateContainer();
            networks.AddRange(container.GetExports<ITrainableNetwork>());
            datasets.AddRange(container.GetExports<ITrainingDataset>());
            readers.AddRange(container.GetExports<ITrainingCheckpointReader>());
        }
        return new TrainingPlugins(networks, datasets, readers);
    }

    public ITrainableNetwork Network(string name, Newtonsoft.Json.Linq.JToken? at = null)
    {
        var found = Networks.Where(n => Matches(name, n.Name) || n.Aliases.Any(a => Matches(name, a))).ToList();
        if (found.Count == 1) return found[0];
        var names = Networks.Select(n => n.Name).Order().ToList();
        if (found.Count > 1)
            throw DefinitionError.At(at, $"network '{name}' is defined by several plugins; remove all but one");
        throw DefinitionError.At(at, $"unknown network '{name}'.{NameSuggester.Hint(name, names)} Trainable networks: {(names.Count == 0 ? "none (no plugin exports one)" : string.Join(", ", names))}");
    }

    public ITrainingDataset Dataset(string name, Newtonsoft.Json.Linq.JToken? at = null)
    {
        var found = Datasets.FirstOrDefault(d => Matches(name, d.Name));
        if (found is not null) return found;
        var names = Datasets.Select(d => d.Name).Order().ToList();
        throw DefinitionError.At(at, $"unknown data set '{name}'.{NameSuggester.Hint(name, names)} Data sets: {(names.Count == 0 ? "none" : string.Join(", ", names))}");
    }

    static bool Matches(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
