using Pipeline.SolverKit;

namespace Pipeline.Tests.UniPc;

/// <summary>The host-side numerics UniPC and DEIS rest on.</summary>
public class SharedHelperTests
{
    [Theory]
    [InlineData(1e-8)]
    [InlineData(-1e-3)]
    [InlineData(0.3)]
    [InlineData(-0.99)]
    [InlineData(1.5)]
    [InlineData(-7)]
    [InlineData(12)]
    public void PhiFunctionsMatchTheirSeries(double x)
    {
        // Reference: the defining series in decimal (28 digits), summed until it no longer changes.
        for (int k = 0; k <= 4; k++)
        {
            decimal term = 1, sum = 0, dx = (decimal)x;
            for (int i = 2; i <= k; i++) term /= i;
            for (int j = 0; j < 200 && term != 0; j++)
            {
                sum += term;
                term = term * dx / (j + k + 1);
            }
            double expected = (double)sum;
            Assert.True(Math.Abs(PhiFunctions.Phi(k, x) - expected) <= 2e-15 * Math.Abs(expected),
                $"phi_{k}({x}) = {PhiFunctions.Phi(k, x):R}, expected {expected:R}");
        }
        Assert.Equal(0, PhiFunctions.Phi(2, double.NegativeInfinity));
    }

    [Fact]
    public void GaussLegendreIsExactToDegreeTwoNMinusOne()
    {
        var rule = new GaussLegendre(16);
        Assert.Equal(2.0, rule.Weights.Sum(), 14);
        for (int degree = 0; degree <= 31; degree++)
        {
            double exact = (Math.Pow(2.0, degree + 1) - Math.Pow(-0.5, degree + 1)) / (degree + 1);
            double got = rule.Integrate(x => Math.Pow(x, degree), -0.5, 2.0);
            Assert.True(Math.Abs(got - exact) <= 1e-13 * Math.Abs(exact), $"x^{degree}: {got:R} vs {exact:R}");
        }
        Assert.True(Math.Abs(rule.Integrate(Math.Exp, 0, 1) - (Math.E - 1)) < 1e-15);
        Assert.True(Math.Abs(new GaussLegendre(5).Integrate(x => x * x * x * x, -1, 1) - 0.4) < 1e-15);
    }
}
