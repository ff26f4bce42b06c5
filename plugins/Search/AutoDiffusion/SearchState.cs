using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>One scored candidate, as kept in the state file and listed in search.csv.</summary>
public sealed class ScoredCandidate
{
    public int Generation { get; set; }

    /// <summary>How it was made: a standard schedule's name, "random", "crossover" or "mutation".</summary>
    public string Origin { get; set; } = "";

    public double[] Times { get; set; } = [];

    /// <summary>With the structure search: per step, true for each block skipped (the model's block order).</summary>
    public bool[][]? Skip { get; set; }

    /// <summary>With the structure search: the counted cost in full evaluations per sample.</summary>
    public double? Cost { get; set; }

    /// <summary>The metric's headline value; null when the candidate could not run or scored non-finite.</summary>
    public double? Fitness { get; set; }

    public Dictionary<string, double>? Scores { get; set; }

    public int Nfe { get; set; }

    public double Seconds { get; set; }

    /// <summary>The solver it ran with, as its definition's JSON; null for the pipeline's solver.</summary>
    public string? Solver { get; set; }

    /// <summary>Why the candidate could not run, when it could not.</summary>
    public string? Problem { get; set; }

    [JsonIgnore]
    public double Value => Fitness ?? double.PositiveInfinity;
}

/// <summary>
/// What a search leaves in its state folder: every candidate scored so far and the time spent. Generations are
/// replayed from the seed, so scores are all a resumed search needs to repeat an uninterrupted one exactly.
/// </summary>
public sealed class SearchState
{
    const string FileName = "autodiffusion-state.json";

    /// <summary>The state file of one solver's search: the pipeline's solver, or the i-th of the 'solvers' list.</summary>
    public static string FileFor(int? solver, int? steps = null) =>
        (solver, steps) switch
        {
            (null, null) => FileName,
            (int i, null) => $"autodiffusion-state-{i}.json",
            (null, int s) => $"autodiffusion-state-steps{s}.json",
            (int i, int s) => $"autodiffusion-state-{i}-steps{s}.json",
        };

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; set; } = 1;

    /// <summary>Fingerprint of the options and the pipeline; a state with another one belongs to another search.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Generation the last scored candidate belongs to (informative: the replay finds it again).</summary>
    public int Generation { get; set; }

    public double Seconds { get; set; }

    public List<ScoredCandidate> Candidates { get; set; } = [];

    /// <summary>The saved state of this search, or null when there is none or it belongs to another search.</summary>
    public static SearchState? Load(string directory, string hash, string file = FileName)
    {
        var path = Path.Combine(directory, file);
        if (!File.Exists(path)) return null;
        try
        {
            var state = JsonSerializer.Deserialize<SearchState>(File.ReadAllText(path), Json);
            return state is { Version: 1 } && state.Hash == hash ? state : null;
        }
        catch (JsonException)
        {
            return null; // a torn or foreign file: start afresh rather than fail
        }
    }

    /// <summary>Writes a temporary file and moves it over the old one, so an interruption never leaves half a state.</summary>
    public void Save(string directory, string file = FileName)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, file);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
