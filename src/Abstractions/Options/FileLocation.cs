namespace Pipeline.Options;

/// <summary>How a relative file name in a definition becomes an absolute path; the host and plugins share it.</summary>
public static class FileLocation
{
    /// <summary>The absolute path of <paramref name="path"/> as <paramref name="attribute"/> asks.</summary>
    public static string Resolve(string path, string baseDirectory, FilePathAttribute attribute) =>
        attribute.SearchParents ? Search(path, baseDirectory, attribute.Directory) : Path.GetFullPath(path, baseDirectory);

    /// <summary>The folders searched for a relative path, nearest first: the definition's folder and those above it,
    /// then the current folder and those above it, then the host's folder and those above it.</summary>
    public static IEnumerable<string> SearchFolders(string baseDirectory)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in new[] { baseDirectory, Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
                if (seen.Add(dir.FullName))
                    yield return dir.FullName;
    }

    /// <summary>
    /// An absolute path as it is; a relative one found by <see cref="SearchFolders"/>; when none exists, the path under
    /// <paramref name="baseDirectory"/> (so the error names where it was expected).
    /// </summary>
    public static string Search(string path, string baseDirectory, bool directory = false)
    {
        if (Path.IsPathRooted(path)) return Path.GetFullPath(path);
        foreach (var folder in SearchFolders(baseDirectory))
        {
            var candidate = Path.GetFullPath(path, folder);
            if (directory ? Directory.Exists(candidate) : File.Exists(candidate)) return candidate;
        }
        return Path.GetFullPath(path, baseDirectory);
    }
}
