using Pipeline.Models;
using Pipeline.Options;
using Pipeline.Schedules;
using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// One round of progressive distillation (Salimans and Ho 2022, Algorithm 2) for a student of N steps on the grid
/// t_j = j / N, j = 1..N, in the schedule's continuous time (a discrete schedule's step i sits at (i + 1) / N_train,
/// so the networks receive t N_train - 1, the index that sampling with the ddim solver gives them). For a uniform j:
/// z_t = alpha_t x + sigma_t eps; two deterministic DDIM steps of the teacher, t -> t' = t - 0.5/N -> t'' = t - 1/N,
/// each z_s = alpha_s x^ + (sigma_s / sigma_t)(z_t - alpha_t x^) with the teacher's x^ (clipped to the data range
/// [-1, 1] when clipTeacher is set); the target x~ that makes one student DDIM step from t land on z_t'':
/// x~ = (z_t'' - (sigma_t''/sigma_t) z_t) / (alpha_t'' - (sigma_t''/sigma_t) alpha_t);
/// and the student's x^ = alpha_t z_t - sigma_t v^ from its v-prediction (Section 4: x from eps is unstable as
/// alpha_t -> 0, which the last rounds' steps from t = 1 need). The loss weights ||x~ - x^||^2 by max(SNR, 1)
/// ("truncated SNR") or SNR + 1 (equal to ||v~ - v^||^2), Section 4.
/// Coefficients are computed on the host in double, one row per j, and gathered per sample on the device.
/// </summary>
public sealed class DistillationRound : IDisposable
{
    // Per j (row j - 1): alpha_t, sigma_t; z_t' = step1X x^ + step1Z z_t; z_t'' = step2X x^' + step2Z z_t';
    // x~ = targetZ2 z_t'' + targetZ z_t; the time inputs at t and t'; the loss weight.
    readonly Tensor alpha, sigma, alpha1, sigma1, step1X, step1Z, step2X, step2Z, targetZ2, targetZ, inputT, inputT1, weight;
    readonly bool clip;

    public DistillationRound(INoiseSchedule schedule, int steps, DistillationWeighting weighting, bool clipTeacher, Device device)
    {
        if (schedule.TrainingSteps is null)
            throw new PipelineInputException("progressive distillation of a network that takes the training-step index needs a discrete noise schedule", "$.noiseSchedule");
        Steps = steps;
        clip = clipTeacher;
        var rows = Enumerable.Range(1, steps).Select(j =>
        {
            double t = j / (double)steps, t1 = t - 0.5 / steps, t2 = t - 1.0 / steps;
            double a = schedule.Alpha(t), s = schedule.Sigma(t);
            double a1 = schedule.Alpha(t1), s1 = schedule.Sigma(t1);
            // t'' = 0 is clean data: alpha 1, sigma 0 (the discrete schedule's log alpha is 0 there).
            double a2 = t2 <= 0 ? 1 : schedule.Alpha(t2), s2 = t2 <= 0 ? 0 : schedule.Sigma(t2);
            double ratio = s2 / s, denominator = a2 - ratio * a;
            double snr = a * a / (s * s);
            double w = weighting == DistillationWeighting.TruncatedSnr ? Math.Max(snr, 1) : snr + 1;
            return new[]
            {
                a, s, a1, s1, a1 - s1 / s * a, s1 / s, a2 - s2 / s1 * a1, s2 / s1, 1 / denominator, -ratio / denominator,
                TimeInputs.Convert(TimeInput.DiscreteIndex, schedule, t), TimeInputs.Convert(TimeInput.DiscreteIndex, schedule, t1), w,
            };
        }).ToArray();
        Tensor Column(int k) => tensor(rows.Select(r => (float)r[k]).ToArray(), device: device);
        (alpha, sigma, alpha1, sigma1, step1X, step1Z, step2X, step2Z) = (Column(0), Column(1), Column(2), Column(3), Column(4), Column(5), Column(6), Column(7));
        (targetZ2, targetZ, inputT, inputT1, weight) = (Column(8), Column(9), Column(10), Column(11), Column(12));
    }

    /// <summary>The student's step count N.</summary>
    public int Steps { get; }

    /// <summary>Draws j, eps (torch's global generator) and returns the weighted loss of the student, a scalar tensor.</summary>
    public Tensor Loss(nn.Module student, nn.Module teacher, PredictionType teacherPrediction, Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var j = randint(0, Steps, [images.shape[0]], int64, images.device);
        var eps = randn_like(images);
        return scope.MoveToOuter(Loss(student, teacher, teacherPrediction, images, labels, j, eps).mean());
    }

    /// <summary>Per-sample weighted squared errors [B] for given rows j - 1 [B] (int64) and noise eps.</summary>
    public Tensor Loss(nn.Module student, nn.Module teacher, PredictionType teacherPrediction, Tensor images, Tensor labels, Tensor j, Tensor eps)
    {
        using var scope = NewDisposeScope();
        long[] shape = [images.shape[0], 1, 1, 1];
        Tensor At(Tensor column) => column.index_select(0, j).view(shape);
        var (a, s) = (At(alpha), At(sigma));
        var z = a.mul(images).Plus_(s.mul(eps));
        var steps = inputT.index_select(0, j);
        Tensor target;
        using (no_grad())
        {
            // Two deterministic DDIM steps of the teacher (Song et al. 2021, eq. (12) with eta = 0).
            var x0 = TeacherData(Denoiser(teacher).forward(z, steps, labels), teacherPrediction, z, a, s);
            var z1 = At(step1X).mul(x0).Plus_(At(step1Z).mul(z));
            var x01 = TeacherData(Denoiser(teacher).forward(z1, inputT1.index_select(0, j), labels), teacherPrediction, z1, At(alpha1), At(sigma1));
            var z2 = At(step2X).mul(x01).Plus_(At(step2Z).mul(z1));
            // Algorithm 2: the x~ for which one student DDIM step from (z_t, t) reaches z_t''.
            target = At(targetZ2).mul(z2).Plus_(At(targetZ).mul(z));
        }
        var x = Data(Denoiser(student).forward(z, steps, labels), PredictionType.V, z, a, s);
        var error = x.neg().Plus_(target).Squared().flatten(1).mean([1]);
        return scope.MoveToOuter(error.mul(weight.index_select(0, j)));
    }

    Tensor TeacherData(Tensor raw, PredictionType type, Tensor x, Tensor a, Tensor s)
    {
        var data = Data(raw, type, x, a, s);
        if (!clip) return data;
        using Scalar low = -1.0, high = 1.0;
        return data.clamp(low, high);
    }

    /// <summary>x_0 from a raw prediction at x = alpha x_0 + sigma eps, per-sample alpha and sigma (VP: alpha^2 + sigma^2 = 1).</summary>
    static Tensor Data(Tensor raw, PredictionType type, Tensor x, Tensor a, Tensor s) => type switch
    {
        PredictionType.Epsilon => x.Plus(s.mul(raw).neg()).div(a),
        // v = alpha eps - sigma x_0, so x_0 = alpha x - sigma v.
        PredictionType.V => a.mul(x).Plus_(s.mul(raw).neg()),
        PredictionType.Data => raw,
        _ => throw new PipelineInputException($"progressive distillation cannot use a teacher that predicts {type}; it takes eps, x_0 or v", "$.progressiveDistillation.teacher"),
    };

    static nn.Module<Tensor, Tensor, Tensor, Tensor> Denoiser(nn.Module network) => network as nn.Module<Tensor, Tensor, Tensor, Tensor>
        ?? throw new InvalidOperationException($"{network.GetType().Name} is not a denoiser: it has no forward(x, step, labels)");

    public void Dispose()
    {
        foreach (var t in new[] { alpha, sigma, alpha1, sigma1, step1X, step1Z, step2X, step2Z, targetZ2, targetZ, inputT, inputT1, weight }) t.Dispose();
    }
}
