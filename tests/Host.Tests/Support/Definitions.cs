namespace Pipeline.Tests.Support;

/// <summary>Small definitions on the analytic mixture, used across the host tests.</summary>
public static class Definitions
{
    public const string Mixture = """
        "model": { "type": "gmm", "weights": [0.3, 0.7], "means": [[-1.0, 0.5], [1.5, -0.5]], "stds": [[0.3], [0.5]] }
        """;

    /// <summary>A complete definition; <paramref name="solver"/> and <paramref name="sampling"/> are JSON object bodies.</summary>
    public static string Gmm(string solver = "\"type\": \"ddim\"", int steps = 10, string sampling = "\"count\": 16, \"seed\": 7", string extra = "") => $$"""
        {
          {{Mixture}},
          "noiseSchedule": { "type": "discrete" },
          "timeSteps": { "type": "time-uniform", "steps": {{steps}} },
          "solver": { {{solver}} },
          "sampling": { {{sampling}} }{{extra}}
        }
        """;
}
