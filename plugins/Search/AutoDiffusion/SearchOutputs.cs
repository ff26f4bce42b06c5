using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>The search's artifacts: the best schedule for the 'explicit' time-step plugin, and every candidate.</summary>
public static class SearchOutputs
{
    public const string TimesFile = "times.json";
    public const string CandidatesFile = "search.csv";

    public static void Write(string directory, double[] best, IReadOnlyList<ScoredCandidate> candidates)
    {
        Directory.CreateDirectory(directory);
        // The 'explicit' time-step plugin reads a JSON object with a 'times' array ("file": ".../times.json").
        File.WriteAllText(Path.Combine(directory, TimesFile),
            JsonSerializer.Serialize(new { times = best }, new JsonSerializerOptions { WriteIndented = true }));

        var csv = new StringBuilder("candidate,generation,origin,fitness,nfe,seconds,times,problem\n");
        for (int i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            csv.Append(CultureInfo.InvariantCulture,
                $"{i + 1},{c.Generation},{c.Origin},{c.Fitness?.ToString("R", CultureInfo.InvariantCulture)},{c.Nfe}," +
                $"{c.Seconds.ToString("G6", CultureInfo.InvariantCulture)},");
            csv.Append(string.Join(' ', c.Times.Select(t => t.ToString("R", CultureInfo.InvariantCulture))));
            csv.Append(',').Append(Quote(c.Problem)).Append('\n');
        }
        File.WriteAllText(Path.Combine(directory, CandidatesFile), csv.ToString());
    }

    static string Quote(string? text) => text is null ? "" : "\"" + text.Replace("\"", "\"\"").Replace('\n', ' ') + "\"";
}
