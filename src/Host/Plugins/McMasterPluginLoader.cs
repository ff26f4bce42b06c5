using System.Reflection;
using McMaster.NETCore.Plugins;

namespace Pipeline.Host.Plugins;

/// <summary>
/// One McMaster load context per plugin. The contracts (Abstractions), TorchSharp, System.Composition
/// and Microsoft.Extensions.* come from the host, so there is one TorchSharp and one native libtorch in
/// the process and tensors cross freely.
/// </summary>
public sealed class McMasterPluginLoader : IPluginAssemblyLoader
{
    static readonly Type[] Shared =
    [
        typeof(Pipeline.Plugins.IPluginExport),
        typeof(TorchSharp.torch),
        typeof(System.Composition.ExportAttribute),
        typeof(Microsoft.Extensions.DependencyInjection.ActivatorUtilities),
        typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection),
    ];

    readonly List<PluginLoader> loaders = [];

    public Assembly Load(string assemblyPath)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, Shared, config => config.PreferSharedTypes = true);
        loaders.Add(loader);
        return loader.LoadDefaultAssembly();
    }
}
