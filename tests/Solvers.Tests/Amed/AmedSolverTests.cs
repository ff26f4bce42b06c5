using Pipeline.Sampling;
using Pipeline.Plugins.Solvers.Amed;
using Pipeline.Solvers;
using Pipeline.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Amed;

/// <summary>The solver's mechanics with given parameters: where it evaluates, what the first step costs, its memory.</summary>
public class AmedSolverTests
{
    static readonly double[] Times = AmedProblem.Times(AmedProblem.Grid.TimeUniform, 3);

    static AmedParameters Parameters(AmedBase kind, bool afs) => new()
    {
        Base = kind, AnalyticFirstStep = afs, Times = Times,
        Lambdas = Times.Select(AmedProblem.Schedule.Lambda).ToArray(),
        Nfe = AmedParameters.Evaluations(3, afs),
        Steps = [new() { R = 0.15, C = 1.02 }, new() { R = 0.4, C = 0.97 }, new() { R = 0.8, C = 0.9 }],
    };

    [Theory]
    [InlineData(AmedBase.Amed, true)]
    [InlineData(AmedBase.Amed, false)]
    [InlineData(AmedBase.Ipndm, true)]
    [InlineData(AmedBase.DpmSolverPp, true)]
    public void EvaluatesAtTheLearnedIntermediateTimes(AmedBase kind, bool afs)
    {
        var p = Parameters(kind, afs);
        using var xT = randn([4, 8], float64, generator: new Generator(3));
        var (x, model) = Harness.Run(AmedProblem.Solver(p), AmedProblem.Mixture, AmedProblem.Schedule, xT, Times);
        x.Dispose();
        var expected = new List<double>();
        for (int n = 0; n < 3; n++)
        {
            if (n > 0 || !afs) expected.Add(Times[n]);
            // lambda(s_n) = (1 - r_n) lambda(t_n) + r_n lambda(t_{n+1}): geometric in sigma / alpha.
            double l0 = AmedProblem.Schedule.Lambda(Times[n]), l1 = AmedProblem.Schedule.Lambda(Times[n + 1]);
            expected.Add(AmedProblem.Schedule.TimeOfLambda((1 - p.Steps[n].R) * l0 + p.Steps[n].R * l1));
        }
        Assert.Equal(expected.Count, model.Evaluations);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(model.Times[i] - expected[i]) < 1e-12, $"evaluation {i} at t = {model.Times[i]}, expected {expected[i]}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WithScaleOneThePluginOnDpmSolverPlusPlusIsDpmSolverPlusPlus2MOnTheInterleavedGrid(bool lowerOrderFinal)
    {
        var p = Parameters(AmedBase.DpmSolverPp, afs: false);
        p.LowerOrderFinal = lowerOrderFinal;
        foreach (var step in p.Steps) step.C = 1;
        var grid = new List<double>();
        for (int n = 0; n < 3; n++)
        {
            double l0 = AmedProblem.Schedule.Lambda(Times[n]), l1 = AmedProblem.Schedule.Lambda(Times[n + 1]);
            grid.Add(Times[n]);
            grid.Add(AmedProblem.Schedule.TimeOfLambda((1 - p.Steps[n].R) * l0 + p.Steps[n].R * l1));
        }
        grid.Add(Times[^1]);
        using var xT = randn([4, 8], float64, generator: new Generator(3));
        var (amed, _) = Harness.Run(AmedProblem.Solver(p), AmedProblem.Mixture, AmedProblem.Schedule, xT, Times);
        var dpm = new Plugins.Solvers.Dpm.DpmSolverPlusPlus(new Plugins.Solvers.Dpm.DpmSolverOptions
        {
            Order = 2, Method = Plugins.Solvers.Dpm.DpmSolverMethod.Multistep, LowerOrderFinal = lowerOrderFinal,
        });
        var (reference, _) = Harness.Run(dpm, AmedProblem.Mixture, AmedProblem.Schedule, xT, grid);
        using (amed)
        using (reference)
            Assert.True(Harness.Rmse(amed, reference) < 1e-12, $"differs by {Harness.Rmse(amed, reference)}");
    }

    [Theory]
    [InlineData(AmedBase.Amed)]
    [InlineData(AmedBase.Ipndm)]
    [InlineData(AmedBase.DpmSolverPp)]
    public void PerSampleIntermediateTimesGiveEachSampleItsOwnRun(AmedBase kind)
    {
        // A batch whose samples take different (r, c) equals each sample run alone with its own.
        double[] r = [0.2, 0.5, 0.5, 0.8], c = [1.0, 0.9, 1.1, 1.0];
        var points = Pipeline.SolverKit.TimePoint.Along(AmedProblem.Schedule, Times);
        Tensor Run(Tensor x0, double[] rs, double[] cs)
        {
            var model = new MixtureDenoiser(AmedProblem.Mixture, AmedProblem.Schedule);
            IDenoiser denoiser = model;
            using var amed = new AmedStep(kind, 4);
            var x = x0.clone();
            for (int n = 0; n < 3; n++)
            {
                using var scope = NewDisposeScope();
                amed.Begin(x, points[n], n == 0 ? AmedStep.AnalyticEpsilon(x, points[n]) : denoiser.Epsilon(x, points[n].T), analytic: n == 0);
                var next = scope.MoveToOuter(amed.Step(denoiser, x, points[n], points[n + 1], rs, cs));
                x.Dispose();
                x = next;
            }
            Assert.Equal(5, model.Evaluations);
            return x;
        }
        using var xT = randn([4, 8], float64, generator: new Generator(5));
        using var batch = Run(xT, r, c);
        for (int b = 0; b < 4; b++)
        {
            using var one = xT.narrow(0, b, 1);
            using var alone = Run(one, [r[b]], [c[b]]);
            Assert.True(Harness.Rmse(batch.narrow(0, b, 1), alone) < 1e-13, $"sample {b}");
        }
    }

    [Fact]
    public void TheScaleMultipliesTheLastSlope()
    {
        // x_{n+1} = A + c B: three values of c on the last step lie on one line, and c = 1 is not c = 0.9.
        var outputs = new[] { 0.9, 1.0, 1.1 }.Select(c =>
        {
            var p = AmedProblem.With(Parameters(AmedBase.Amed, true), s => s);
            p.Steps[^1] = new AmedStepParameters { R = p.Steps[^1].R, C = c };
            using var xT = randn([4, 8], float64, generator: new Generator(3));
            return Harness.Run(AmedProblem.Solver(p), AmedProblem.Mixture, AmedProblem.Schedule, xT, Times).X;
        }).ToArray();
        using var mid = (outputs[0] + outputs[2]) / 2;
        Assert.True(Harness.Rmse(mid, outputs[1]) < 1e-12);
        Assert.True(Harness.Rmse(outputs[0], outputs[1]) > 1e-3);
        foreach (var o in outputs) o.Dispose();
    }

    [Theory]
    [InlineData(AmedBase.Amed)]
    [InlineData(AmedBase.Ipndm)]
    [InlineData(AmedBase.DpmSolverPp)]
    public void NoTensorLeaks(AmedBase kind)
    {
        var solver = AmedProblem.Solver(Parameters(kind, true));
        long Leaked()
        {
            using var xT = randn([4, 8], float64, generator: new Generator(3));
            var context = new SamplingContext
            {
                Model = new MixtureDenoiser(AmedProblem.Mixture, AmedProblem.Schedule), Times = Times, Initial = xT,
                Noise = new SeededNoise(1),
            };
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            solver.Sample(context).Dispose();
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
        }
        Leaked();
        Assert.Equal(0, Leaked());
    }
}
