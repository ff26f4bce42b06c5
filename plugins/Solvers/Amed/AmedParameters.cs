using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Options;
using Pipeline.Schedules;

namespace Pipeline.Plugins.Solvers.Amed;

/// <summary>
/// The trained AMED predictor as written to <c>amed.json</c>: per step of the times it was trained for, the table
/// (r_n, c_n) shared by all samples and, where it predicts better on held-out training samples, a tiny network
/// (<see cref="AmedHead"/>) that picks r and c per sample from the sample's state or the model's features; the step it
/// was trained with, and how.
/// </summary>
public sealed class AmedParameters
{
    public const string FormatName = "amed-solver/2";

    /// <summary>The table-only format before per-step networks; still read.</summary>
    public const string TableFormatName = "amed-solver/1";

    public string Format { get; set; } = FormatName;

    /// <summary>The step the parameters were trained for (the plain AMED step or the AMED-Plugin on a base solver).</summary>
    public AmedBase Base { get; set; } = AmedBase.Amed;

    /// <summary>iPNDM's highest Adams-Bashforth order, for <see cref="AmedBase.Ipndm"/>.</summary>
    public int MaxOrder { get; set; } = 4;

    /// <summary>Whether the first step replaces eps(x_T, t_0) by its analytic approximation (AMED's AFS).</summary>
    public bool AnalyticFirstStep { get; set; } = true;

    /// <summary>DPM-Solver++ base: the last half step s_{N-1} -> t_N is of first order (DPM-Solver++'s lower-order-final).</summary>
    public bool LowerOrderFinal { get; set; }

    /// <summary>The times the parameters were trained for, steps + 1 of them.</summary>
    public double[] Times { get; set; } = [];

    /// <summary>lambda(t) of the noise schedule at <see cref="Times"/>: a file from another schedule is refused.</summary>
    public double[] Lambdas { get; set; } = [];

    /// <summary>Model evaluations of a run at these times.</summary>
    public int Nfe { get; set; }

    public AmedStepParameters[] Steps { get; set; } = [];

    /// <summary>Trained numbers: two per step, and the weights of the steps' networks.</summary>
    public int ParameterCount => 2 * Steps.Length + Steps.Sum(s => s.Head?.ParameterCount ?? 0);

    /// <summary>Whether any step samples r and c per sample from a network.</summary>
    public bool HasNetworks => Steps.Any(s => s.Head is not null);

    /// <summary>How the teacher trajectory was made (solver, evaluations), for the record.</summary>
    public Dictionary<string, JsonElement>? Teacher { get; set; }

    /// <summary>Training summary (samples, losses, seconds), for the record.</summary>
    public Dictionary<string, JsonElement>? Training { get; set; }

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Model evaluations of n steps: two each (t_n and s_n), one fewer when the first is analytic.</summary>
    public static int Evaluations(int steps, bool analyticFirstStep) => steps <= 0 ? 0 : 2 * steps - (analyticFirstStep ? 1 : 0);

    public void Save(string path)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads and validates a predictor file; every problem is a <see cref="PipelineInputException"/> naming the file.</summary>
    public static AmedParameters Load(string path, string jsonPath)
    {
        if (!File.Exists(path))
            throw new PipelineInputException(
                $"AMED predictor file '{path}' does not exist; train one with 'pipeline optimize' and an 'amed-train' optimizer (relative paths are resolved against the definition's folder)", jsonPath);
        AmedParameters? p;
        try
        {
            p = JsonSerializer.Deserialize<AmedParameters>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new PipelineInputException($"AMED predictor file '{path}' is not valid JSON of an amed.json file ({e.Message})", jsonPath, e);
        }
        var problem = p is null ? "it is empty" : p.Problem();
        if (problem is not null)
            throw new PipelineInputException($"AMED predictor file '{path}' is corrupt: {problem}; train it again", jsonPath);
        return p!;
    }

    /// <summary>The first inconsistency of the file's contents, or null.</summary>
    internal string? Problem()
    {
        if (Format != FormatName && Format != TableFormatName) return $"format '{Format}' is not '{FormatName}'";
        if (Times.Length < 2) return $"it holds {Times.Length} times; at least 2 are needed";
        if (Steps.Length != Times.Length - 1) return $"{Steps.Length} step parameters for {Times.Length - 1} steps";
        if (Lambdas.Length != Times.Length) return $"{Lambdas.Length} lambdas for {Times.Length} times";
        for (int i = 0; i < Times.Length; i++)
            if (!double.IsFinite(Times[i]) || !(Times[i] > 0) || (i > 0 && !(Times[i] < Times[i - 1])))
                return $"times must be positive and strictly decreasing, time {i} is {Times[i]}";
        for (int i = 0; i < Steps.Length; i++)
        {
            var (r, c) = (Steps[i].R, Steps[i].C);
            if (!(r > 0 && r < 1)) return $"step {i}: r = {r} is outside (0, 1)";
            if (!double.IsFinite(c) || !(c > 0)) return $"step {i}: c = {c} is not a positive number";
            if (Steps[i].Head?.Problem() is string head) return $"step {i}'s network: {head}";
        }
        if (Base == AmedBase.Ipndm && MaxOrder is < 1 or > 4) return $"maxOrder = {MaxOrder} is outside 1..4";
        if (Nfe != Evaluations(Steps.Length, AnalyticFirstStep))
            return $"nfe = {Nfe} but {Steps.Length} steps{(AnalyticFirstStep ? " with the analytic first step" : "")} make {Evaluations(Steps.Length, AnalyticFirstStep)}";
        return null;
    }

    /// <summary>Why these parameters cannot run at <paramref name="times"/> on <paramref name="schedule"/>; empty when they can.</summary>
    public IEnumerable<string> Mismatch(INoiseSchedule schedule, IReadOnlyList<double> times, string file)
    {
        if (times.Count != Times.Length)
        {
            yield return $"amed: '{file}' was trained for {Times.Length - 1} steps (NFE {Nfe}) but the time-step schedule gives " +
                         $"{times.Count - 1}; use the time-step schedule it was trained with ({Describe(Times)}) or train for these times";
            yield break;
        }
        for (int i = 0; i < times.Count; i++)
            if (Math.Abs(times[i] - Times[i]) > 1e-9 * Math.Max(1, Math.Abs(Times[i])))
            {
                yield return $"amed: '{file}' was trained for other times: time {i} is {Times[i]:R} there but {times[i]:R} here " +
                             $"(trained: {Describe(Times)}); use that time-step schedule or train for these times";
                yield break;
            }
        for (int i = 0; i < times.Count; i++)
        {
            double lambda = schedule.Lambda(times[i]);
            if (Math.Abs(lambda - Lambdas[i]) > 1e-6 * Math.Max(1, Math.Abs(Lambdas[i])))
            {
                yield return $"amed: '{file}' was trained on another noise schedule: lambda at t = {times[i]:R} is {Lambdas[i]:R} there but {lambda:R} here";
                yield break;
            }
        }
    }

    static string Describe(double[] times) => "[" + string.Join(", ", times.Select(t => t.ToString("G6"))) + "]";
}

/// <summary>One step's trained numbers: the intermediate time's position r_n and the gradient's scale c_n.</summary>
public sealed class AmedStepParameters
{
    /// <summary>s_n = t_n^(1 - r) t_{n+1}^r in the noise ratio sigma / alpha: r = 0 is t_n, 1/2 the geometric midpoint.</summary>
    public double R { get; set; }

    /// <summary>Scale of the update from s_n to t_{n+1} (1 = none).</summary>
    public double C { get; set; } = 1;

    /// <summary>Mean squared distance to the teacher at t_{n+1} after this step, per element (training record).</summary>
    public double? Loss { get; set; }

    /// <summary>The same with r = 1/2 and c = 1 (training record).</summary>
    public double? MidpointLoss { get; set; }

    /// <summary>The step's per-sample predictor, or null: (r, c) above for every sample.</summary>
    public AmedHead? Head { get; set; }
}
