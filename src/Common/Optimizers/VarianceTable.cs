using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Options;

namespace Pipeline.Optimizers;

/// <summary>
/// The artifact of Analytic-DPM (Bao et al. 2022): Gamma(t) = E ||eps_theta(x_t, t)||^2 / d, the mean squared norm of
/// the model's noise prediction per dimension over data x_0 and noise, at increasing times, with its Monte Carlo
/// standard errors. The optimal reverse variance of Theorem 1 needs 1 - Gamma(t) (Bao et al. eq. (7), where
/// beta-bar_n E||grad log q_n||^2 / d = Gamma). The optimizer writes it as <c>variance.json</c>; DDPM and DDIM read it.
/// </summary>
public sealed class VarianceTable
{
    public const string FileName = "variance.json";

    /// <summary>Strictly increasing times at which Gamma was estimated.</summary>
    public required double[] Times { get; init; }

    /// <summary>Gamma(t) = E ||eps_theta(x_t, t)||^2 / d at each time.</summary>
    public required double[] Gamma { get; init; }

    /// <summary>Monte Carlo standard error of each Gamma.</summary>
    public required double[] StandardErrors { get; init; }

    /// <summary>Monte Carlo draws (x_0, eps) per time.</summary>
    public required int Samples { get; init; }

    /// <summary>
    /// Optional bounds [a, b] of every data coordinate (images in [-1, 1]): they give the upper bound of Bao et al.'s
    /// Theorem 2 that clips the variance on the last, least noisy steps. Null for unbounded data.
    /// </summary>
    public double[]? DataRange { get; init; }

    /// <summary>What the table was estimated for (model type, schedule), for people reading it.</summary>
    public string? Description { get; init; }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Save(string path)
    {
        var problem = Problems().FirstOrDefault();
        if (problem is not null) throw new InvalidOperationException("invalid variance table: " + problem);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>Reads and checks a table; any problem is a <see cref="PipelineInputException"/> naming the file and the fix.</summary>
    public static VarianceTable Load(string path)
    {
        const string Fix = "run the 'analytic-dpm' optimizer (pipeline optimize) to write it";
        if (!File.Exists(path))
            throw new PipelineInputException($"the variance table '{path}' does not exist; {Fix}, or name the {FileName} it wrote");
        VarianceTable? table;
        try
        {
            table = JsonSerializer.Deserialize<VarianceTable>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new PipelineInputException($"the variance table '{path}' is not a valid {FileName} ({e.Message}); {Fix} again");
        }
        var problem = table is null ? "it is empty" : table.Problems().FirstOrDefault();
        if (problem is not null)
            throw new PipelineInputException($"the variance table '{path}' is corrupt: {problem}; {Fix} again");
        return table!;
    }

    IEnumerable<string> Problems()
    {
        if (Times is null || Gamma is null || StandardErrors is null) { yield return "it needs 'times', 'gamma' and 'standardErrors'"; yield break; }
        if (Times.Length == 0) yield return "it has no times";
        if (Gamma.Length != Times.Length || StandardErrors.Length != Times.Length)
            yield return $"'times' ({Times.Length}), 'gamma' ({Gamma.Length}) and 'standardErrors' ({StandardErrors.Length}) differ in length";
        for (int i = 0; i < Times.Length; i++)
        {
            if (!(Times[i] > 0) || !double.IsFinite(Times[i])) { yield return $"time {i} ({Times[i]}) is not a positive number"; yield break; }
            if (i > 0 && !(Times[i] > Times[i - 1])) { yield return $"times must increase, but time {i} ({Times[i]}) follows {Times[i - 1]}"; yield break; }
        }
        foreach (var g in Gamma)
            if (!double.IsFinite(g) || g < 0) { yield return $"gamma {g} is not a finite non-negative number"; yield break; }
        if (Samples < 1) yield return "'samples' must be at least 1";
        if (DataRange is { } r && (r.Length != 2 || !(r[1] > r[0])))
            yield return "'dataRange' must be [low, high] with low < high";
    }

    /// <summary>
    /// Gamma at <paramref name="t"/>: exact at a table time, linear in t between neighbouring times (Gamma is smooth in t,
    /// and a table on every training step of a discrete schedule holds every time such a run visits). Null outside
    /// the table's range, where the caller reports the file and the fix.
    /// </summary>
    public double? At(double t)
    {
        const double Slack = 1e-9;
        if (t < Times[0] * (1 - Slack) || t > Times[^1] * (1 + Slack)) return null;
        int hi = Array.BinarySearch(Times, t);
        if (hi >= 0) return Gamma[hi];
        hi = ~hi;
        if (hi == 0) return Gamma[0];
        if (hi == Times.Length) return Gamma[^1];
        double w = (t - Times[hi - 1]) / (Times[hi] - Times[hi - 1]);
        return Gamma[hi - 1] + w * (Gamma[hi] - Gamma[hi - 1]);
    }
}
