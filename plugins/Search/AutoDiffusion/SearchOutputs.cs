using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>The search's artifacts: the best schedule for the 'explicit' time-step plugin, and every candidate.</summary>
public static class SearchOutputs
{
    public const string TimesFile = "times.json";
    public const string CandidatesFile = "search.csv";
    public const string StructureFile = "structure.json";

    /// <summary>The best times of the i-th solver of a search over several (times.json for the pipeline's solver).</summary>
    public static string TimesFileOf(int? solver) => solver is int i ? $"times-{i}.json" : TimesFile;

    /// <summary>JSON as people write it: '+' and quotes not escaped (solver names such as "dpm-solver++").</summary>
    public static readonly JsonSerializerOptions Plain = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="solver">The definition of the solver the best times belong to, when the search chose among several.</param>
    public static void Write(string directory, double[] best, IReadOnlyList<ScoredCandidate> candidates, JsonNode? solver = null)
    {
        WriteTimes(directory, best, solver);

        var csv = new StringBuilder("candidate,generation,origin,fitness,nfe,seconds,times,problem,solver,cost,skip\n");
        for (int i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            csv.Append(CultureInfo.InvariantCulture,
                $"{i + 1},{c.Generation},{c.Origin},{c.Fitness?.ToString("R", CultureInfo.InvariantCulture)},{c.Nfe}," +
                $"{c.Seconds.ToString("G6", CultureInfo.InvariantCulture)},");
            csv.Append(string.Join(' ', c.Times.Select(t => t.ToString("R", CultureInfo.InvariantCulture))));
            csv.Append(',').Append(Quote(c.Problem)).Append(',').Append(Quote(c.Solver)).Append(',');
            csv.Append(c.Cost?.ToString("G6", CultureInfo.InvariantCulture)).Append(',');
            // The masks as one bit string per step ('1': skipped, in the model's block order), steps separated by spaces.
            if (c.Skip is not null) csv.Append(string.Join(' ', c.Skip.Select(m => new string(m.Select(b => b ? '1' : '0').ToArray()))));
            csv.Append('\n');
        }
        File.WriteAllText(Path.Combine(directory, CandidatesFile), csv.ToString());
    }

    /// <summary>
    /// times.json: the 'explicit' time-step plugin reads a JSON object with a 'times' array ("file": ".../times.json")
    /// and ignores the 'solver' beside it, which says what solver the times were found for.
    /// </summary>
    public static void WriteTimes(string directory, IReadOnlyList<double> times, JsonNode? solver = null, string file = TimesFile)
    {
        Directory.CreateDirectory(directory);
        var json = new JsonObject { ["times"] = new JsonArray(times.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()) };
        if (solver is not null) json["solver"] = solver.DeepClone();
        File.WriteAllText(Path.Combine(directory, file), json.ToJsonString(new JsonSerializerOptions(Plain) { WriteIndented = true }));
    }

    /// <summary>
    /// structure.json: the times and, per step, the names of the skipped blocks, as <c>BlockStructure.Read</c> reads
    /// them (a model's "structure" option), with the cost, the budget and how the cost was counted beside them.
    /// The 'explicit' time-step plugin can read the same file for the times.
    /// </summary>
    public static void WriteStructure(string directory, IReadOnlyList<double> times, string[][] skipped, double cost, double budget, string costUnit, JsonNode? solver = null)
    {
        Directory.CreateDirectory(directory);
        var json = new JsonObject
        {
            ["times"] = new JsonArray(times.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["skip"] = new JsonArray(skipped.Select(names => (JsonNode?)new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray())).ToArray()),
            ["cost"] = cost,
            ["budget"] = budget,
            ["costUnit"] = costUnit,
        };
        if (solver is not null) json["solver"] = solver.DeepClone();
        File.WriteAllText(Path.Combine(directory, StructureFile), json.ToJsonString(new JsonSerializerOptions(Plain) { WriteIndented = true }));
    }

    static string Quote(string? text) => text is null ? "" : "\"" + text.Replace("\"", "\"\"").Replace('\n', ' ') + "\"";
}
