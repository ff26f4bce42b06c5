namespace Pipeline.Tests.Support;

/// <summary>The demanding 8-D three-component mixture of examples/gmm-8d.json as small pipelines and optimization files.</summary>
public static class Mixture
{
    public const string Model = """
        "model": {
          "type": "gmm", "weights": [0.3, 0.45, 0.25],
          "means": [[1.5, -1.0, 0.5, 2.0, -0.5, 1.0, 0.0, -1.5], [-1.0, 1.5, -0.5, -1.5, 1.0, 0.0, 0.5, 1.0], [0.0, 0.0, 2.0, 0.5, -2.0, -1.0, 1.5, 0.0]],
          "stds": [[0.3], [0.8, 0.5, 0.6, 0.4, 0.7, 0.5, 0.3, 0.6], [0.5]]
        }
        """;

    /// <summary>A pipeline; <paramref name="solver"/> and <paramref name="timeSteps"/> are JSON object bodies.</summary>
    public static string Pipeline(string solver = "\"type\": \"ddim\"", string timeSteps = "\"type\": \"time-uniform\", \"steps\": 4",
        int count = 200, int seed = 0) => $$"""
        {
          {{Model}},
          "noiseSchedule": { "type": "discrete", "betaSchedule": "linear", "trainingSteps": 1000 },
          "timeSteps": { {{timeSteps}} },
          "solver": { {{solver}} },
          "metrics": [ { "type": "exact-ode-error" } ],
          "sampling": { "count": {{count}}, "seed": {{seed}}, "dtype": "float64" }
        }
        """;

    /// <summary>An optimization file running AutoDiffusion with <paramref name="options"/> (JSON members) on a pipeline.</summary>
    public static string Search(string pipeline, string options) => $$"""
        {
          "name": "search",
          "pipeline": {{pipeline}},
          "optimizer": { "type": "autodiffusion", {{options}} },
          "metric": { "type": "exact-ode-error" }
        }
        """;
}
