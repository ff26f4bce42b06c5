using Pipeline.Models;
using Pipeline.Plugins.Schedules;
using Pipeline.Plugins.Solvers;
using Pipeline.Sampling;
using Pipeline.Schedules;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>
/// The ddgan solver against the chain written out by hand from DDPM's posterior (Ho et al. 2020, eqs. (6)-(7)) for the
/// generator's x_0, and its refusals of every other model, schedule and grid.
/// </summary>
public class DdganSolverTests
{
    const int T = 4, Z = 3;
    static readonly double[] Betas = BetaTables.VpContinuous(T);

    /// <summary>
    /// A stand-in generator: x_0 = 0.5 z[:, :2] + 0.25 x_t + t, so each step's x_0 depends on that step's latent code and on
    /// the state, which carries every earlier step's posterior draw into the final sample.
    /// </summary>
    sealed class LatentDenoiser(INoiseSchedule schedule) : IDenoiser
    {
        public List<(double T, long[] LatentShape)> Calls { get; } = [];

        public INoiseSchedule Schedule => schedule;

        public int? LatentSize => Z;

        public ModelOutput Predict(Tensor x, double t) => throw new InvalidOperationException("a latent model was evaluated without its latent code");

        public ModelOutput Predict(Tensor x, double t, Tensor latent)
        {
            Calls.Add((t, latent.shape));
            using Scalar half = 0.5, quarter = 0.25, time = t;
            var data = latent.narrow(1, 0, 2).mul(half).Plus(x.mul(quarter)).Plus(time);
            var eps = PredictionConversion.EpsilonFromData(x, data, schedule.Alpha(t), schedule.Sigma(t));
            return new ModelOutput(eps, data);
        }
    }

    /// <summary>Per-sample seeded noise that keeps every draw, so the test can replay the run.</summary>
    sealed class RecordingNoise(long seed) : INoiseSource, IDisposable
    {
        readonly SeededNoise inner = new(seed);

        public List<double[,]> Draws { get; } = [];

        public Tensor NormalLike(Tensor like)
        {
            var draw = inner.NormalLike(like);
            using var cpu = draw.to(float64).cpu().reshape(like.shape[0], -1);
            var values = new double[cpu.shape[0], cpu.shape[1]];
            var flat = cpu.data<double>().ToArray();
            for (int i = 0; i < values.GetLength(0); i++)
                for (int j = 0; j < values.GetLength(1); j++) values[i, j] = flat[i * values.GetLength(1) + j];
            Draws.Add(values);
            return draw;
        }

        public void Dispose() => inner.Dispose();
    }

    /// <summary>The state after every step.</summary>
    sealed class Trajectory : ISamplingObserver
    {
        public List<double[]> States { get; } = [];

        public void OnStep(in StepInfo step) => States.Add(step.X.data<double>().ToArray());
    }

    static double[] Grid => Enumerable.Range(0, T + 1).Select(i => (T - i) / (double)T).ToArray();

    [Fact]
    public void EachStepIsTheDdpmPosteriorAroundTheGeneratorsSample()
    {
        var schedule = DiscreteSchedule.FromBetas(Betas);
        var model = new LatentDenoiser(schedule);
        using var noise = new RecordingNoise(5);
        using var initial = randn(6, 2, float64, generator: new TorchSharp.torch.Generator(9UL));
        var solver = new Ddgan();
        Assert.Empty(solver.Check(schedule, Grid));
        var trajectory = new Trajectory();
        using var x = solver.Sample(new SamplingContext { Model = model, Times = Grid, Initial = initial, Noise = noise, Observer = trajectory });

        // T evaluations, each with a [B, Z] latent code; noise: z and the posterior draw at every step but the last.
        Assert.Equal(Grid.Take(T), model.Calls.Select(c => c.T));
        Assert.All(model.Calls, c => Assert.Equal(new long[] { 6, Z }, c.LatentShape));
        Assert.Equal(2 * T - 1, noise.Draws.Count);

        // The chain by hand: alpha_bar_k = prod (1 - beta), step k -> k-1 with beta_k, x_0 from that step's z.
        var abar = new double[T + 1];
        abar[0] = 1;
        for (int k = 1; k <= T; k++) abar[k] = abar[k - 1] * (1 - Betas[k - 1]);
        var expected = initial.data<double>().ToArray();
        int draw = 0;
        for (int k = T; k >= 1; k--)
        {
            var z = noise.Draws[draw++];
            double beta = Betas[k - 1], t = k / (double)T;
            double a = Math.Sqrt(abar[k - 1]) * beta / (1 - abar[k]), b = Math.Sqrt(1 - beta) * (1 - abar[k - 1]) / (1 - abar[k]);
            double std = Math.Sqrt(beta * (1 - abar[k - 1]) / (1 - abar[k]));
            var e = k > 1 ? noise.Draws[draw++] : null;
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 2; j++)
                {
                    double x0 = 0.5 * z[i, j] + 0.25 * expected[2 * i + j] + t;
                    expected[2 * i + j] = a * x0 + b * expected[2 * i + j] + (e is null ? 0 : std * e[i, j]);
                }
            // Every intermediate state, not only the last: into clean data the posterior mean is x_0 itself.
            var state = trajectory.States[T - k];
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], state[i], 1e-12);
        }
        var actual = x.data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }

    sealed class FakeGenerator(double[] alphasCumprod) : ILatentModel
    {
        public int LatentSize => Z;
        public IReadOnlyList<double> TrainedAlphasCumprod => alphasCumprod;
        public PredictionType Prediction => PredictionType.Data;
        public TimeInput TimeInput => TimeInput.DiscreteIndex;
        public long[]? SampleShape => [2];
        public int? Classes => null;
        public Tensor Forward(Tensor x, ModelTime time, Tensor? labels) => throw new NotSupportedException();
        public Tensor Forward(Tensor x, ModelTime time, Tensor? labels, Tensor latent) => throw new NotSupportedException();
    }

    static double[] AlphasCumprod(IReadOnlyList<double> betas)
    {
        var abar = new double[betas.Count];
        double p = 1;
        for (int k = 0; k < betas.Count; k++) abar[k] = p *= 1 - betas[k];
        return abar;
    }

    [Fact]
    public void RefusesOtherModelsSchedulesAndGrids()
    {
        var solver = new Ddgan();
        var schedule = DiscreteSchedule.FromBetas(Betas);
        var generator = new FakeGenerator(AlphasCumprod(Betas));
        Assert.Empty(solver.CheckModel(generator, schedule));

        // Another grid on the right schedule: fewer steps, or the steps of another chain.
        Assert.Contains(solver.Check(schedule, [1, 0.5, 0]), p => p.Contains("whole chain") && p.Contains("4 steps"));
        Assert.Contains(solver.Check(schedule, [1, 0.8, 0.5, 0.25, 0]), p => p.Contains("whole chain"));
        // A continuous schedule, a chain of another length, a chain of other betas.
        Assert.Contains(solver.Check(new ContinuousVpLinearSchedule(), Grid), p => p.Contains("discrete noise schedule"));
        Assert.Contains(solver.CheckModel(generator, DiscreteSchedule.FromBetas(BetaTables.VpContinuous(8))), p => p.Contains("chain of 4 steps"));
        Assert.Contains(solver.CheckModel(generator, DiscreteSchedule.FromBetas(BetaTables.Linear(4, 1e-4, 0.02))), p => p.Contains("alpha_bar at step 1"));
        // A model without a latent code; and every other solver refuses the generator.
        Assert.Contains(solver.CheckModel(new PlainModel(), schedule), p => p.Contains("takes none"));
        Assert.Contains(((ISolver)new Ddim(new DdimOptions())).CheckModel(generator, schedule), p => p.Contains("'ddgan'"));
    }

    sealed class PlainModel : IDiffusionModel
    {
        public PredictionType Prediction => PredictionType.Epsilon;
        public TimeInput TimeInput => TimeInput.Continuous;
        public long[]? SampleShape => [2];
        public int? Classes => null;
        public Tensor Forward(Tensor x, ModelTime time, Tensor? labels) => throw new NotSupportedException();
    }
}
