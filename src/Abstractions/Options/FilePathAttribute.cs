namespace Pipeline.Options;

/// <summary>
/// Marks a string option that names an input file (or folder). The host resolves it to an absolute path before the
/// plugin is built, writes that path into the resolved definition, and records the file's SHA-256 and size there, so
/// a run can be repeated from its output folder anywhere and a changed file is refused instead of silently used.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class FilePathAttribute : Attribute
{
    /// <summary>
    /// A relative path is looked for in the definition's folder and each one above it, then from the current folder
    /// and the host's folder (see <see cref="FileLocation.Search"/>); otherwise it is relative to the definition's folder.
    /// </summary>
    public bool SearchParents { get; init; }

    /// <summary>The option names a folder: its absolute path is recorded, but no checksum.</summary>
    public bool Directory { get; init; }
}
