namespace Pipeline.Models;

/// <summary>
/// The consistency function of Song, Dhariwal, Chen and Sutskever (2023), Appendix C, on a VP schedule and over an
/// eps-predicting network, so a student starts from its teacher's weights. In the EDM variables of the schedule,
/// x~ = x / alpha and noise level s = sigma / alpha, the paper's parametrization is
/// f(x~, s) = c_skip(s) x~ + c_out(s) F(x~, s) with
/// c_skip(s) = sigma_data^2 / ((s - s_min)^2 + sigma_data^2) and c_out(s) = sigma_data (s - s_min) / sqrt(sigma_data^2 + s^2),
/// so c_skip(s_min) = 1 and c_out(s_min) = 0: f(x~, s_min) = x~ exactly (the boundary condition, eq. (5)).
/// F is EDM's raw network output (Karras et al. 2022, Table 1), which an eps network gives through EDM's denoiser
/// D = x~ - s eps = c_skip^EDM x~ + c_out^EDM F. Substituting, f is linear in x and eps:
/// f = [c_skip + s (s - s_min) / (s^2 + sigma_data^2)] x~ - (s - s_min) eps,
/// which for s_min = 0 is the teacher's own x_0 prediction x~ - s eps (the paper's initialisation of the student from the
/// teacher). The coefficients are computed on the host in double precision.
/// </summary>
public static class ConsistencyParametrization
{
    /// <summary>The data standard deviation of the paper and of EDM, for data in [-1, 1].</summary>
    public const double SigmaData = 0.5;

    /// <summary>c_skip(s) and c_out(s) of Appendix C.</summary>
    public static (double Skip, double Out) Coefficients(double s, double sigmaMin, double sigmaData = SigmaData)
    {
        double d = s - sigmaMin, sd2 = sigmaData * sigmaData;
        return (sd2 / (d * d + sd2), sigmaData * d / Math.Sqrt(sd2 + s * s));
    }

    /// <summary>
    /// f(x, t) = <c>OfInput</c> x + <c>OfEpsilon</c> eps(x, t) for the VP sample x at a time with <paramref name="alpha"/> and
    /// <paramref name="sigma"/>; <paramref name="sigmaMin"/> is s at the schedule's first time, where OfInput = 1 / alpha and OfEpsilon = 0.
    /// </summary>
    public static (double OfInput, double OfEpsilon) Combination(double alpha, double sigma, double sigmaMin, double sigmaData = SigmaData)
    {
        double s = sigma / alpha;
        var (skip, _) = Coefficients(s, sigmaMin, sigmaData);
        double d = s - sigmaMin;
        return ((skip + s * d / (s * s + sigmaData * sigmaData)) / alpha, -d);
    }
}
