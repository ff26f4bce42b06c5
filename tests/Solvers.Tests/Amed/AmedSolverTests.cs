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
