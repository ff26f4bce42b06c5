namespace Pipeline.Options;

/// <summary>Options type for plugins that take none.</summary>
public sealed class NoOptions;
