using System.Reflection;
using McMaster.NETCore.Plugins;

namespace Pipeline.Host.Plugins;

/// <summary>
/// One McMaster load context per plugin. The contracts (Abstractions), the solver kit, Common, TorchSharp,
/// System.Composition and Microsoft.Extensions.* come from the host, so there is one TorchSharp and one native
/// libtorch in the process, tensors cross freely, and a plugin that ships its own copy of the kit still gets the
/// host's (the catalog checks that its major version matches, <see cref="PluginCatalog.SharedAssemblies"/>).
/// </summary>
public sealed class McMasterPluginLoader : IPluginAssemblyLoader
{
    static readonly Type[] Shared =
    [
        typeof(Pipeline.Plugins.IPluginExport),
        typeof(Pipeline.SolverKit.StepLoop),
        typeof(Pipeline.IO.NpyFile),
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
