using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Metrics;
using Pipeline.Options;

namespace Pipeline.Host.Sharding;

/// <summary>
/// metric-statistics.json of a shard: for each metric of the definition that can merge (<see cref="IMergeableMetric"/>),
/// its float64 sums over the shard's samples, by the metric's position in the definition's list. JSON numbers are
/// written with the shortest text that reads back to the same double, so the file carries the sums exactly.
/// </summary>
public static class MetricStatisticsFile
{
    public const string FileName = "metric-statistics.json";
    public const string Format = "pipeline-metric-statistics/1";

    public static void Write(string path, IReadOnlyList<(int Index, string Type, MetricStatistics Statistics)> entries) =>
        File.WriteAllText(path, new JObject
        {
            ["format"] = Format,
            ["metrics"] = new JArray(entries.Select(e => new JObject
            {
                ["index"] = e.Index,
                ["type"] = e.Type,
                ["sums"] = new JObject(e.Statistics.Sums.Select(kv => new JProperty(kv.Key, new JArray(kv.Value)))),
            })),
        }.ToString(Formatting.Indented));

    /// <summary>The statistics of a shard folder by metric index (empty when it has no file).</summary>
    public static Dictionary<int, MetricStatistics> Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        var result = new Dictionary<int, MetricStatistics>();
        if (!File.Exists(path)) return result;
        try
        {
            var document = JObject.Parse(File.ReadAllText(path));
            foreach (var entry in (JArray)document["metrics"]!)
            {
                var statistics = new MetricStatistics();
                foreach (var (name, values) in (JObject)entry["sums"]!)
                    statistics.Set(name, ((JArray)values!).Select(v => (double)v).ToArray());
                result[(int)entry["index"]!] = statistics;
            }
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidCastException or FormatException)
        {
            throw new PipelineInputException($"shard folder '{folder}': {FileName} cannot be read ({e.Message}); run that shard again", folder);
        }
        return result;
    }
}
