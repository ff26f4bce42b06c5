namespace Pipeline.Schedules;

/// <summary>
/// A noise schedule that evaluates the model at another time than the solver steps to: diffusers' Karras and
/// exponential sigmas pass the network the nearest training step of each noise ratio while the update uses the
/// ratio itself. The host's model adapter presents the model the time <see cref="ModelTime"/> gives (with its alpha
/// and sigma) and converts the prediction with the solver's time.
/// </summary>
public interface IModelTimeConvention
{
    /// <summary>The time the model is evaluated at when a solver asks for time <paramref name="t"/> (t itself by default).</summary>
    /// <param name="t">The solver's time, in (0, TMax].</param>
    double ModelTime(double t);
}
