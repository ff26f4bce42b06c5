using Pipeline.Sampling;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Plugins.Search.Gits;

/// <summary>
/// The teacher of GITS: one run of an accurate solver along the whole fine grid from x_T, keeping x at every grid
/// point. One run rather than one per interval keeps a multistep teacher's history, so it is of full order throughout.
/// </summary>
internal static class TeacherTrajectory
{
    /// <summary>x at grid[0] (a copy of <paramref name="initial"/>), grid[1], ..., grid[^1]; the caller disposes them.</summary>
    public static torch.Tensor[] Run(ISolver teacher, IDenoiser model, INoiseSource noise, double[] grid, torch.Tensor initial,
        CancellationToken cancellation)
    {
        var states = new torch.Tensor[grid.Length];
        states[0] = initial.detach().clone();
        states[0].DetachFromDisposeScope();
        try
        {
            var context = new SamplingContext
            {
                Model = model, Times = grid, Initial = initial, Noise = noise, Observer = new Recorder(states), Cancellation = cancellation,
            };
            teacher.Sample(context).Dispose();
            if (states.Any(s => s is null))
                throw new InvalidOperationException("the teacher solver did not report every step of the fine grid");
            return states;
        }
        catch
        {
            foreach (var s in states) s?.Dispose();
            throw;
        }
    }

    sealed class Recorder(torch.Tensor[] states) : ISamplingObserver
    {
        public void OnStep(in StepInfo step)
        {
            var copy = step.X.detach().clone();
            copy.DetachFromDisposeScope();
            states[step.Step + 1]?.Dispose();
            states[step.Step + 1] = copy;
        }
    }
}
