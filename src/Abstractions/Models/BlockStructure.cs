using System.Globalization;
using System.Text.Json;
using Pipeline.Options;

namespace Pipeline.Models;

/// <summary>
/// Which blocks of an <see cref="ISkippableBlocks"/> model are skipped at which step: a decreasing list of times
/// t_0 &gt; ... &gt; t_N and, for each step n (from t_n to t_(n+1)), a mask over the model's blocks. An evaluation at
/// time t uses the mask of the step with t_(n+1) &lt; t &lt;= t_n, so a solver that evaluates inside a step (Heun, a
/// midpoint) gets that step's mask too; outside [t_N, t_0] every block runs.
/// </summary>
public sealed class BlockStructure
{
    /// <summary>A structure over <paramref name="times"/> (N + 1 decreasing values) with one mask per step (N masks).</summary>
    public BlockStructure(IReadOnlyList<double> times, IReadOnlyList<IReadOnlyList<bool>> skip)
    {
        if (times.Count < 2 || skip.Count != times.Count - 1)
            throw new ArgumentException($"a structure needs N + 1 times and N masks; got {times.Count} times and {skip.Count} masks");
        Times = times.ToArray();
        Skip = skip.Select(m => m.ToArray()).ToArray();
    }

    /// <summary>The steps' times t_0 &gt; ... &gt; t_N.</summary>
    public IReadOnlyList<double> Times { get; }

    /// <summary>Per step, true for each block skipped.</summary>
    public IReadOnlyList<bool[]> Skip { get; }

    /// <summary>The mask of the step whose interval (t_(n+1), t_n] holds <paramref name="t"/>, or null outside the times.</summary>
    public IReadOnlyList<bool>? MaskAt(double t)
    {
        // A relative tolerance of 1e-9: solvers evaluate at a step's own time, which may come back through a float,
        // and a time equal to t_(n+1) starts step n + 1.
        static double Tolerance(double bound) => 1e-9 * Math.Max(1.0, Math.Abs(bound));
        if (t > Times[0] + Tolerance(Times[0])) return null;
        for (int n = 0; n < Skip.Count; n++)
            if (t > Times[n + 1] + Tolerance(Times[n + 1])) return Skip[n];
        return t >= Times[^1] - Tolerance(Times[^1]) ? Skip[^1] : null;
    }

    /// <summary>
    /// Reads a structure file: a JSON object with "times" (N + 1 decreasing numbers) and "skip" (N lists of block
    /// names, the blocks skipped at each step); other properties are ignored. Names are checked against
    /// <paramref name="blocks"/>. Every problem is a <see cref="PipelineInputException"/> at <paramref name="path"/>
    /// that names the file and the entry.
    /// </summary>
    public static BlockStructure Read(string file, IReadOnlyList<SkippableBlock> blocks, string path)
    {
        PipelineInputException Bad(string what) => new($"structure file '{file}': {what}", path);
        if (!File.Exists(file)) throw Bad("not found; give the structure.json written by the 'autodiffusion' search with \"structure\": true");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw Bad($"not JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("times", out var timesElement) || timesElement.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("skip", out var skipElement) || skipElement.ValueKind != JsonValueKind.Array)
                throw Bad("needs an object with a \"times\" array and a \"skip\" array (one list of block names per step)");
            var times = new List<double>();
            foreach (var t in timesElement.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.Number) throw Bad($"times[{times.Count}] is not a number");
                times.Add(t.GetDouble());
                if (times.Count > 1 && !(times[^1] < times[^2])) throw Bad($"times[{times.Count - 1}] = {times[^1].ToString(CultureInfo.InvariantCulture)} does not decrease");
            }
            if (times.Count < 2) throw Bad("\"times\" needs at least two entries");
            var index = blocks.Select((b, i) => (b.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
            var masks = new List<bool[]>();
            foreach (var step in skipElement.EnumerateArray())
            {
                int n = masks.Count;
                if (step.ValueKind != JsonValueKind.Array) throw Bad($"skip[{n}] is not a list of block names");
                var mask = new bool[blocks.Count];
                int k = 0;
                foreach (var name in step.EnumerateArray())
                {
                    if (name.ValueKind != JsonValueKind.String || !index.TryGetValue(name.GetString()!, out int b))
                        throw Bad($"skip[{n}][{k}] = {name.GetRawText()} names no block of this model; its blocks are {string.Join(", ", blocks.Select(x => x.Name))}");
                    mask[b] = true;
                    k++;
                }
                masks.Add(mask);
            }
            if (masks.Count != times.Count - 1)
                throw Bad($"\"skip\" has {masks.Count} steps but \"times\" makes {times.Count - 1}; give one list per step");
            return new BlockStructure(times, masks);
        }
    }
}
