using Pipeline.Options;

namespace Pipeline.Host.Outputs;

/// <summary>
/// Writes a run's files into a hidden folder beside the target and moves it into place only when every
/// file is complete, so an interrupted or failed run leaves nothing half-written.
/// </summary>
public sealed class OutputFolder : IDisposable
{
    readonly string target;
    readonly bool overwrite;
    bool committed;

    OutputFolder(string target, bool overwrite, string staging)
    {
        this.target = target;
        this.overwrite = overwrite;
        Staging = staging;
    }

    /// <summary>Folder to write into until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    public string Target => target;

    /// <summary>Fails (input error) when the target exists with files and overwriting was not asked for.</summary>
    public static void CheckWritable(string target, bool overwrite)
    {
        if (!overwrite && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new PipelineInputException($"output folder '{target}' already exists; choose another with --output, or pass --overwrite (outputs.overwrite) to replace it", "$.outputs.directory");
        if (File.Exists(target))
            throw new PipelineInputException($"output path '{target}' is a file; choose a folder", "$.outputs.directory");
    }

    public static OutputFolder Begin(string target, bool overwrite)
    {
        target = Path.GetFullPath(target);
        CheckWritable(target, overwrite);
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return new OutputFolder(target, overwrite, staging);
    }

    public string PathOf(string file) => Path.Combine(Staging, file);

    public void Commit()
    {
        CheckWritable(target, overwrite);
        string? old = null;
        if (Directory.Exists(target))
        {
            old = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
            Directory.Move(target, old);
        }
        Directory.Move(Staging, target);
        committed = true;
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    public void Dispose()
    {
        if (!committed && Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true);
    }
}
