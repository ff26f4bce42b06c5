namespace Pipeline.Host.Outputs;

/// <summary>
/// Writes a run's files into a hidden folder beside the target and moves it into place only when every
/// file is complete, so an interrupted or failed run leaves nothing half-written.
/// </summary>
public sealed class OutputFolder : IDisposable
{
    readonly OutputLocation location;
    readonly bool overwrite;
    readonly List<string> createdParents;
    bool committed;

    OutputFolder(OutputLocation location, bool overwrite, string staging, List<string> createdParents)
    {
        this.location = location;
        this.overwrite = overwrite;
        this.createdParents = createdParents;
        Staging = staging;
    }

    /// <summary>Folder to write into until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    public string Target => location.Target;

    /// <summary>
    /// Checks the location again (it may have changed while the command worked), removes staging folders that
    /// killed runs left beside it, and creates this one's staging folder with its owner marker and the output manifest.
    /// </summary>
    public static OutputFolder Begin(OutputLocation location, bool overwrite, string command, Action<string>? notice = null)
    {
        location.Check(overwrite);
        var target = location.Target;
        var parent = Path.GetDirectoryName(target)!;
        var created = new List<string>();
        for (var p = parent; p is not null && !Directory.Exists(p); p = Path.GetDirectoryName(p)) created.Add(p);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.partial-{Guid.NewGuid():N}");
        var folder = new OutputFolder(location, overwrite, staging, created);
        try
        {
            Directory.CreateDirectory(staging);
            StagingMarker.Write(staging);
            OutputManifest.Write(staging, command);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
        StagingMarker.RemoveStale(parent, notice);
        return folder;
    }

    public string PathOf(string file) => Path.Combine(Staging, file);

    public void Commit()
    {
        location.Check(overwrite);
        var target = location.Target;
        File.Delete(Path.Combine(Staging, StagingMarker.FileName));
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
        if (committed) return;
        if (Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true);
        // Folders made only to hold this output go too: a refused or failed run leaves no empty runs/ behind.
        foreach (var p in createdParents)
            if (Directory.Exists(p) && !Directory.EnumerateFileSystemEntries(p).Any()) Directory.Delete(p);
    }
}
