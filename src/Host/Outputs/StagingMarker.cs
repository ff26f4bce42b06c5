using System.Diagnostics;
using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Outputs;

/// <summary>
/// Names the process that owns a staging folder (process id, its start time, the host), so that a later run can
/// tell a folder left by a killed run from one another run is still writing, and remove only the former.
/// </summary>
public static class StagingMarker
{
    public const string FileName = ".pipeline-staging.json";

    public static void Write(string staging)
    {
        using var self = Process.GetCurrentProcess();
        File.WriteAllText(Path.Combine(staging, FileName), new JObject
        {
            ["pid"] = self.Id,
            ["started"] = self.StartTime.ToUniversalTime().ToString("o"),
            ["host"] = Environment.MachineName,
        }.ToString());
    }

    /// <summary>
    /// True only when the folder's marker names a process on this host that no longer runs (its id is gone, or now
    /// belongs to a process started at another time). Folders without a readable marker are never stale: they may
    /// not be ours.
    /// </summary>
    public static bool IsStale(string staging)
    {
        JObject marker;
        try { marker = JObject.Parse(File.ReadAllText(Path.Combine(staging, FileName))); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Newtonsoft.Json.JsonException) { return false; }
        if ((string?)marker["host"] != Environment.MachineName) return false;
        if (marker["pid"] is not JValue { Type: JTokenType.Integer } pid) return false;
        if (!DateTime.TryParse((string?)marker["started"], null, System.Globalization.DateTimeStyles.RoundtripKind, out var started)) return false;
        Process process;
        try { process = Process.GetProcessById((int)pid); }
        catch (ArgumentException) { return true; } // no process has that id
        using (process)
        {
            try { return Math.Abs((process.StartTime.ToUniversalTime() - started.ToUniversalTime()).TotalSeconds) > 1; }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { return false; }
        }
    }

    /// <summary>Removes the stale staging folders in <paramref name="parent"/> and reports each one.</summary>
    public static void RemoveStale(string parent, Action<string>? notice)
    {
        if (!Directory.Exists(parent)) return;
        foreach (var folder in Directory.EnumerateDirectories(parent, ".*.partial-*"))
        {
            if (!IsStale(folder)) continue;
            try
            {
                Directory.Delete(folder, recursive: true);
                notice?.Invoke($"removed stale staging folder {folder} left by an interrupted run");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                notice?.Invoke($"warning: could not remove stale staging folder {folder}: {e.Message}");
            }
        }
    }
}
