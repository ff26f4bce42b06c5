using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Diffusers;

/// <summary>
/// What a diffusers scheduler config with a step count becomes here: the noise schedule, time-step schedule and
/// solver sections (each <c>{ "type": ..., options }</c> with every option the import decided written out), guidance
/// to append (diffusers' thresholding), and warnings (unknown keys, conventions where diffusers' run differs).
/// </summary>
/// <param name="ClassName">diffusers' <c>_class_name</c>.</param>
/// <param name="NoiseSchedule">The "noiseSchedule" section.</param>
/// <param name="TimeSteps">The "timeSteps" section.</param>
/// <param name="Solver">The "solver" section.</param>
/// <param name="Guidance">Guidance entries appended after the definition's own (thresholding of x_0).</param>
/// <param name="Warnings">One line each: a key that was not used, or where the result differs from diffusers' and by how much.</param>
public sealed record DiffusersImport(string ClassName, JObject NoiseSchedule, JObject TimeSteps, JObject Solver,
    IReadOnlyList<JObject> Guidance, IReadOnlyList<string> Warnings);
