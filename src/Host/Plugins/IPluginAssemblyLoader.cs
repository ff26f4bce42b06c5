using System.Reflection;

namespace Pipeline.Host.Plugins;

/// <summary>Loads a plugin's main assembly in its own load context, sharing the host's contracts.</summary>
public interface IPluginAssemblyLoader
{
    Assembly Load(string assemblyPath);
}
