using System.ComponentModel;
using Pipeline.Plugins;
using Pipeline.Solvers;
using TorchSharp;

namespace ThirdParty.Sampling;

[Plugin(PluginKinds.Solver, "third-party-euler", Aliases = "tp-euler", Summary = "First-order exponential integrator written outside the project")]
public sealed class ExponentialIntegratorExport : PluginExport<ExponentialIntegrator, ExponentialIntegratorOptions>;

public sealed class ExponentialIntegratorOptions
{
    [Description("Multiplies every update (1 = the exact first-order step)")]
    public double Scale { get; set; } = 1.0;
}

/// <summary>x_t = (alpha_t / alpha_s) x_s - sigma_t (e^h - 1) eps, h = lambda_t - lambda_s (DPM-Solver-1).</summary>
public sealed class ExponentialIntegrator(ExponentialIntegratorOptions options) : ISolver
{
    public torch.Tensor Sample(SamplingContext context)
    {
        var s = context.Schedule;
        var x = context.Initial.alias();
        for (int i = 0; i < context.Steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            double from = context.Times[i], to = context.Times[i + 1];
            var x0 = context.Model.Data(x, from);
            // Data-prediction form, valid down to sigma_t = 0: x_t = (sigma_t/sigma_s) x_s + alpha_t (1 - e^{-h}) x0.
            double ratio = s.Sigma(to) / s.Sigma(from);
            double weight = to == 0 ? 1.0 : s.Alpha(to) * -double.ExpM1(-(s.Lambda(to) - s.Lambda(from)));
            x = scope.MoveToOuter(x.mul(ratio).add_(x0, alpha: weight * options.Scale));
            context.Completed(i, x);
        }
        return x;
    }
}
