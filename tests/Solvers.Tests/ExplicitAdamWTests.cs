using Pipeline.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests;

/// <summary>The project's Adam/AdamW against the update of Kingma and Ba (Algorithm 1) and Loshchilov and Hutter (Algorithm 2) computed in doubles.</summary>
public class ExplicitAdamWTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void FollowsTheTextbookUpdateForSeveralSteps(double weightDecay)
    {
        double lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] start = [0.7, -1.3, 2.0];
        // f(p) = sum_i c_i p_i^4: gradient 4 c_i p_i^3 (eps makes the update depend on the gradient's scale, so it must be exact).
        double[] c = [1.0, 0.5, 2.0];
        var p = new TorchSharp.Modules.Parameter(tensor(start, ScalarType.Float64));
        using var optimizer = new ExplicitAdamW([p], lr, b1, b2, eps, weightDecay);
        using var coefficients = tensor(c, ScalarType.Float64);

        var expected = (double[])start.Clone();
        var m = new double[3];
        var v = new double[3];
        for (int k = 1; k <= 6; k++)
        {
            optimizer.ZeroGrad();
            using (var scope = NewDisposeScope())
            {
                var loss = p.mul(p).mul(p).mul(p).mul(coefficients).sum();
                loss.backward();
            }
            optimizer.Step();
            for (int i = 0; i < 3; i++)
            {
                double g = 4 * c[i] * Math.Pow(expected[i], 3);
                expected[i] *= 1 - lr * weightDecay;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, k)), vHat = v[i] / (1 - Math.Pow(b2, k));
                expected[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        var actual = p.detach().data<double>().ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 1e-12);
        Assert.Equal(6, optimizer.Steps);
        // The parameters moved, so an optimizer that did nothing could not pass.
        Assert.True(Math.Abs(actual[0] - start[0]) > 0.1);
    }

    [Fact]
    public void SavedStateResumesToIdenticalUpdates()
    {
        static (TorchSharp.Modules.Parameter, ExplicitAdamW) Make()
        {
            var p = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0, -2.0 }, ScalarType.Float64));
            return (p, new ExplicitAdamW([p], 0.1));
        }
        static void Steps(TorchSharp.Modules.Parameter p, ExplicitAdamW o, int n)
        {
            for (int i = 0; i < n; i++)
            {
                o.ZeroGrad();
                using (var s = NewDisposeScope()) p.mul(p).mul(p).sum().backward();
                o.Step();
            }
        }
        var (p1, o1) = Make();
        Steps(p1, o1, 5);
        var (p2, o2) = Make();
        Steps(p2, o2, 2);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) o2.Save(w);
        var saved = p2.detach().clone();
        var (p3, o3) = Make();
        using (var no = no_grad()) p3.copy_(saved);
        stream.Position = 0;
        using (var r = new BinaryReader(stream)) o3.Load(r);
        Steps(p3, o3, 3);
        Assert.Equal(p1.detach().data<double>().ToArray(), p3.detach().data<double>().ToArray());
        o1.Dispose(); o2.Dispose(); o3.Dispose();
    }
}
