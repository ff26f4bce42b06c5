using Pipeline.Optimizers;
using Pipeline.Options;
using Pipeline.Plugins.Models;
using Pipeline.Plugins.Search.AnalyticDpm;
using Pipeline.Plugins.Solvers;
using Pipeline.Schedules;
using Pipeline.Solvers;
using TorchSharp;

namespace Pipeline.Tests;

public class AnalyticDpmTests
{
    /// <summary>Runs the optimizer on a mixture and reads back the table it wrote.</summary>
    static VarianceTable Estimate(GaussianMixtureModel model, INoiseSchedule schedule, IReadOnlyList<double> times, int samples,
        long seed = 0, VarianceTimes mode = VarianceTimes.Pipeline, TempFolder? into = null)
    {
        using var own = into is null ? new TempFolder() : null;
        var folder = (into ?? own)!;
        var optimizer = new AnalyticDpm(new AnalyticDpmOptions { Samples = samples, Seed = seed, Times = mode });
        var target = new MixtureTarget(model, schedule, times);
        Assert.Empty(optimizer.Check(target));
        var progress = new List<OptimizationProgress>();
        optimizer.Optimize(new OptimizationContext
        {
            Target = target, OutputDirectory = folder.Path, StateDirectory = folder.Path, Progress = progress.Add,
        });
        Assert.NotEmpty(progress);
        return VarianceTable.Load(folder.File(VarianceTable.FileName));
    }

    /// <summary>
    /// One Gaussian N(mu, diag(s^2)): x_t is Gaussian with variance alpha^2 s_d^2 + sigma^2 per coordinate and
    /// E[eps | x_t] = sigma (x_t - alpha mu) / (alpha^2 s_d^2 + sigma^2), so Gamma(t) = mean_d sigma^2 / (alpha^2 s_d^2 + sigma^2).
    /// </summary>
    [Fact]
    public void OneGaussianGammaMatchesItsClosedFormWithinFourStandardErrors()
    {
        double[] stds = [0.2, 0.7, 1.5];
        using var model = Setup.OneGaussian([0.5, -1.0, 2.0], stds);
        var schedule = Setup.Discrete();
        // The run's times: the steps start from all but the last, so those are where Gamma is needed.
        double[] times = [0.9, 0.5, 0.2, 0.08, 0.02, 0.0];
        var table = Estimate(model, schedule, times, samples: 4000);
        Assert.Equal(times[..^1].Order(), table.Times);
        for (int j = 0; j < table.Times.Length; j++)
        {
            double t = table.Times[j], a2 = Math.Pow(schedule.Alpha(t), 2), s2 = Math.Pow(schedule.Sigma(t), 2);
            double exact = stds.Average(sd => s2 / (a2 * sd * sd + s2));
            double se = table.StandardErrors[j];
            Assert.InRange(se, 1e-6, 0.02);
            Assert.True(Math.Abs(table.Gamma[j] - exact) < 4 * se, $"t = {t}: estimate {table.Gamma[j]} +- {se}, exact {exact}");
        }
    }

    [Fact]
    public void MixtureEstimateAgreesWithAnIndependentLargeSampleEstimate()
    {
        using var model = Setup.Mixture8D();
        var schedule = Setup.Discrete();
        double[] times = [0.8, 0.4, 0.15, 0.05, 0.01, 0.0];
        var small = Estimate(model, schedule, times, samples: 2000, seed: 1);
        var large = Estimate(model, schedule, times, samples: 40000, seed: 2);
        for (int j = 0; j < times.Length - 1; j++)
        {
            double tolerance = 4 * Math.Sqrt(Math.Pow(small.StandardErrors[j], 2) + Math.Pow(large.StandardErrors[j], 2));
            Assert.True(Math.Abs(small.Gamma[j] - large.Gamma[j]) < tolerance,
                $"t = {small.Times[j]}: {small.Gamma[j]} vs {large.Gamma[j]} (tolerance {tolerance})");
            // Gamma = E||E[eps | x_t]||^2 / d lies inside (0, 1) for a non-degenerate mixture (its estimate up to its error).
            Assert.InRange(large.Gamma[j], 0.0, 1.0 + 4 * large.StandardErrors[j]);
        }
    }

    [Fact]
    public void AutoTimesOfADiscreteScheduleAreEveryTrainingStep()
    {
        using var model = Setup.OneGaussian([0, 0, 0], [1.0]);
        var schedule = Setup.Discrete();
        var table = Estimate(model, schedule, [1.0, 0.0], samples: 8, mode: VarianceTimes.Auto);
        Assert.Equal(1000, table.Times.Length);
        Assert.Equal(0.001, table.Times[0], 12);
        Assert.Equal(1.0, table.Times[^1], 12);
        // For N(0, I) data x_t ~ N(0, I) and E[eps | x_t] = sigma x_t: Gamma = sigma^2 up to Monte Carlo error.
        Assert.InRange(table.Gamma[^1], 0.5, 1.5);
    }

    [Fact]
    public void MissingOrCorruptTablesAreClearErrors()
    {
        using var dir = new TempFolder();
        var missing = dir.File("none/variance.json");
        var e = Assert.Throws<PipelineInputException>(() => new Ddpm(new DdpmOptions { AnalyticVariance = missing }));
        Assert.Contains(missing, e.Message);
        Assert.Contains("analytic-dpm", e.Message);

        var broken = dir.File("broken.json");
        File.WriteAllText(broken, "{ \"times\": [0.1, 0.2");
        e = Assert.Throws<PipelineInputException>(() => new Ddim(new DdimOptions { Eta = 1, AnalyticVariance = broken }));
        Assert.Contains(broken, e.Message);

        var inconsistent = dir.File("inconsistent.json");
        File.WriteAllText(inconsistent, "{ \"times\": [0.1, 0.2], \"gamma\": [0.5], \"standardErrors\": [0.01, 0.01], \"samples\": 10 }");
        e = Assert.Throws<PipelineInputException>(() => new Ddpm(new DdpmOptions { AnalyticVariance = inconsistent }));
        Assert.Contains("corrupt", e.Message);
        Assert.Contains("differ in length", e.Message);
    }

    [Fact]
    public void ATableThatDoesNotCoverTheRunIsReportedByCheck()
    {
        using var dir = new TempFolder();
        new VarianceTable { Times = [0.3, 0.6], Gamma = [0.5, 0.8], StandardErrors = [0.01, 0.01], Samples = 10 }.Save(dir.File("v.json"));
        var schedule = Setup.Discrete();
        var ddpm = new Ddpm(new DdpmOptions { AnalyticVariance = dir.File("v.json") });
        var problems = ddpm.Check(schedule, [0.6, 0.45, 0.3, 0.0]).ToList();
        Assert.Empty(problems);
        problems = ddpm.Check(schedule, Setup.UniformTimes(schedule, 10)).ToList();
        Assert.Single(problems);
        Assert.Contains(dir.File("v.json"), problems[0]);
    }

    [Fact]
    public void TableInterpolatesLinearlyInsideAndRefusesOutside()
    {
        var table = new VarianceTable { Times = [0.2, 0.4], Gamma = [0.5, 0.9], StandardErrors = [0, 0], Samples = 2 };
        Assert.Equal(0.5, table.At(0.2));
        Assert.Equal(0.7, table.At(0.3)!.Value, 12);
        Assert.Null(table.At(0.1));
        Assert.Null(table.At(0.5));
    }
}
