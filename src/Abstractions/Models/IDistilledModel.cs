namespace Pipeline.Models;

/// <summary>
/// A model trained to be sampled by one solver on one time grid only, such as a progressive-distillation student
/// (Salimans and Ho 2022, Algorithm 2), whose single step stands for two steps of its teacher on exactly that grid.
/// Another solver, another number of steps, other times or another noise schedule ask it for something it never
/// learned, so the host refuses them before anything runs.
/// </summary>
public interface IDistilledModel
{
    /// <summary>The canonical plugin name of the solver the model was trained for ("ddim").</summary>
    string Solver { get; }

    /// <summary>The times it was trained for, strictly decreasing, steps + 1 of them (the last one 0: clean data).</summary>
    IReadOnlyList<double> Times { get; }

    /// <summary>alpha(t) at each of <see cref="Times"/> on the noise schedule it was trained with.</summary>
    IReadOnlyList<double> Alphas { get; }
}
