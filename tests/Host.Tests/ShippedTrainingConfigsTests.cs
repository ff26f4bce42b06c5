using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Host;
using Pipeline.Host.Composition;
using Pipeline.Host.Training;
using Pipeline.Plugins;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Tests.Support;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// Every training file under models/ is one `train` accepts: its settings bind, its network exists and builds from its
/// architecture, and a network that takes the step index was built for its schedule's number of steps. Configurations
/// that only a GPU run trains in full would otherwise show a typo only there.
/// </summary>
public class ShippedTrainingConfigsTests
{
    static readonly PipelineHost Host = new();

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(PluginBuilds.RepoRoot, "models"), "*.train.json").Order()) data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TrainAcceptsIt(string file)
    {
        var definition = TrainingDefinition.Load(Path.Combine(PluginBuilds.RepoRoot, "models", file));
        var network = TrainingPlugins.Find(Host.Catalog).Network(definition.Settings.Network);
        var (module, architecture, _) = network.Create(definition.Architecture?.ToString(Formatting.None));
        module.Dispose();
        if (JObject.Parse(architecture)["trainingSteps"] is JValue { Type: JTokenType.Integer } steps && network.Role != "classifier")
        {
            var environment = new RunEnvironment(CPU, ScalarType.Float32, PluginBuilds.RepoRoot);
            var (schedule, _) = new PipelineComposer(Host.Catalog).BuildPlugin<INoiseSchedule>(definition.NoiseSchedule, PluginKinds.NoiseSchedule, environment);
            Assert.Equal((int)steps, schedule.TrainingSteps);
        }
    }
}
