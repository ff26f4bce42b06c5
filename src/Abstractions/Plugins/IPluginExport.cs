namespace Pipeline.Plugins;

/// <summary>What MEF hands the host for each plugin: the type to build and the type of its options.</summary>
public interface IPluginExport
{
    Type Implementation { get; }
    Type Options { get; }
}

/// <summary>
/// Base of every plugin export. <typeparamref name="TPlugin"/>'s constructor may take
/// <typeparamref name="TOptions"/> and any host service (see <see cref="Sampling.RunEnvironment"/>).
/// </summary>
public abstract class PluginExport<TPlugin, TOptions> : IPluginExport
    where TPlugin : class
    where TOptions : class, new()
{
    public Type Implementation => typeof(TPlugin);
    public Type Options => typeof(TOptions);
}
