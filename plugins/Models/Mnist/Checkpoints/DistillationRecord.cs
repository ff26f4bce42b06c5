using System.Text.Json.Nodes;
using Pipeline.Models;
using Pipeline.Options;

namespace Pipeline.Plugins.Models.Mnist.Checkpoints;

/// <summary>
/// What a progressive-distillation checkpoint records under training.distillation (written by the host's
/// ProgressiveDistillationTrainer): the parametrization of its output, the solver and times it was trained for, and
/// alpha at those times on its noise schedule.
/// </summary>
public sealed record DistillationRecord(PredictionType Prediction, string Solver, int Steps, IReadOnlyList<double> Times, IReadOnlyList<double> Alphas)
{
    /// <summary>The record of <paramref name="info"/>, or null when the checkpoint is not a distilled student.</summary>
    public static DistillationRecord? Of(CheckpointInfo info, string file)
    {
        if (info.Training?["distillation"] is not JsonObject d) return null;
        PipelineInputException Bad(string what) =>
            new($"the checkpoint '{file}' has a damaged distillation record ({what}); train it again with 'pipeline train'");
        var prediction = (string?)d["prediction"] switch
        {
            "v" => PredictionType.V,
            "data" => PredictionType.Data,
            "epsilon" => PredictionType.Epsilon,
            var other => throw Bad($"prediction '{other}'"),
        };
        string solver = (string?)d["solver"] ?? throw Bad("no solver");
        int steps = d["steps"] is JsonValue s && s.TryGetValue<int>(out var n) && n >= 1 ? n : throw Bad("no step count");
        double[] Numbers(string key) => d[key] is JsonArray a && a.Count == steps + 1
            && a.All(v => v is JsonValue x && x.TryGetValue<double>(out _))
            ? a.Select(v => v!.GetValue<double>()).ToArray() : throw Bad($"{key} is not {steps + 1} numbers");
        return new DistillationRecord(prediction, solver, steps, Numbers("times"), Numbers("alphas"));
    }
}
