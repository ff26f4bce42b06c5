using Pipeline.Plugins.Solvers.Shared;
using Pipeline.Sampling;
using Pipeline.SolverKit;
using Pipeline.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Solvers.Amed;

/// <summary>
/// The teacher trajectory at the student's times: one run of an accurate multistep solver on a fine grid that holds
/// every student time, each student step split into <c>stepsPerStep</c> steps uniform in lambda (where the mixture's
/// and image models' eps are smooth), recording x whenever the fine grid reaches a student time. One run rather than one
/// per student step keeps the multistep history, so the teacher is of full order throughout.
/// </summary>
internal static class AmedTeacher
{
    /// <summary>The fine grid: each student step [t_n, t_{n+1}] split into k steps uniform in lambda.</summary>
    public static double[] Grid(Schedules.INoiseSchedule schedule, IReadOnlyList<double> times, int k)
    {
        var grid = new List<double> { times[0] };
        for (int n = 0; n + 1 < times.Count; n++)
            grid.AddRange(ReferenceSolvers.LogSnrGrid(schedule, times[n], times[n + 1], k).Skip(1));
        return [.. grid];
    }

    /// <summary>x of the teacher at t_1, ..., t_N (N + 0 tensors, caller owns them) from <paramref name="initial"/> at t_0.</summary>
    public static Tensor[] Trajectory(ISolver teacher, IDenoiser model, INoiseSource noise, IReadOnlyList<double> times, int k,
        Tensor initial, CancellationToken cancellation)
    {
        var grid = Grid(model.Schedule, times, k);
        var recorder = new Recorder(k, times.Count - 1);
        try
        {
            var context = new SamplingContext
            {
                Model = model, Times = grid, Initial = initial, Noise = noise, Observer = recorder, Cancellation = cancellation,
            };
            teacher.Sample(context).Dispose();
            return recorder.States;
        }
        catch
        {
            foreach (var state in recorder.States) state?.Dispose();
            throw;
        }
    }

    sealed class Recorder(int k, int steps) : ISamplingObserver
    {
        public Tensor[] States { get; } = new Tensor[steps];

        public void OnStep(in StepInfo step)
        {
            if ((step.Step + 1) % k != 0) return;
            var copy = step.X.detach().clone();
            copy.DetachFromDisposeScope();
            States[(step.Step + 1) / k - 1] = copy;
        }
    }
}
