using Pipeline.Plugins.Solvers.Karras;
using Pipeline.Plugins.Solvers.Langevin;
using Pipeline.Plugins.Solvers.Pndm;
using Pipeline.Solvers;

namespace Pipeline.Tests.Classic;

/// <summary>The solvers of plugins/Solvers/{Pndm,Karras,Langevin} by test name, with the option variants the tests use.</summary>
public static class ClassicSolvers
{
    public static ISolver Create(string name) => name switch
    {
        "pndm" => new Pndm(),
        "plms" => new Plms(),
        "ipndm" => new IPndm(new IPndmOptions()),
        "ipndm-1" => new IPndm(new IPndmOptions { MaxOrder = 1 }),
        "euler" => new KarrasEuler(new ChurnOptions()),
        "euler-churn" => new KarrasEuler(new ChurnOptions { SChurn = 5 }),
        "heun" => new KarrasHeun(new ChurnOptions()),
        "heun-churn" => new KarrasHeun(new ChurnOptions { SChurn = 5, STmin = 0.05, STmax = 50, SNoise = 1.003 }),
        "lms" => new Lms(new LmsOptions()),
        "lms-1" => new Lms(new LmsOptions { Order = 1 }),
        "lms-6" => new Lms(new LmsOptions { Order = 6 }),
        // epsilon far below 2 sigma_L^2 for every schedule of the contract tests (sigma_L >= 0.002).
        "langevin" => new AnnealedLangevin(new AnnealedLangevinOptions { Epsilon = 1e-6, NStepsEach = 3 }),
        "pc" => new PredictorCorrector(new PredictorCorrectorOptions()),
        "pc-2" => new PredictorCorrector(new PredictorCorrectorOptions { CorrectorSteps = 2, Snr = 0.1 }),
        "pc-0" => new PredictorCorrector(new PredictorCorrectorOptions { CorrectorSteps = 0 }),
        _ => throw new ArgumentException(name),
    };

    public static readonly string[] All =
        ["pndm", "plms", "ipndm", "ipndm-1", "euler", "euler-churn", "heun", "heun-churn", "lms", "lms-1", "lms-6", "langevin", "pc", "pc-2", "pc-0"];

    public static readonly string[] Stochastic = ["euler-churn", "heun-churn", "langevin", "pc", "pc-2", "pc-0"];

    public static bool IsStochastic(string name) => Stochastic.Contains(name);
}
