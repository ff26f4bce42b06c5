using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Host.Training;

/// <summary>
/// Held-out scores written into each checkpoint: a classifier's accuracy on clean digits, a time-conditioned
/// classifier's accuracy at several noise levels, a denoiser's eps loss. Noise and times come from a fixed
/// seed, so scores of successive checkpoints are comparable.
/// </summary>
public static class TrainingEvaluation
{
    const int Batch = 500;

    public static Dictionary<string, double> Evaluate(string role, nn.Module network, Tensor images, Tensor labels, StepTable? table, long seed)
    {
        bool training = network.training;
        network.eval();
        try
        {
            using var _ = no_grad();
            random.manual_seed(StepSeeds.Of(seed, StepSeeds.Evaluation, 0));
            return role switch
            {
                "classifier" => new() { ["heldOutAccuracy"] = Accuracy(images, labels, x => ((nn.Module<Tensor, Tensor>)network).forward(x)) },
                "time-classifier" => NoisyAccuracy((nn.Module<Tensor, Tensor, Tensor>)network, images, labels, table!),
                "denoiser" => new() { ["heldOutLoss"] = DenoisingLoss((nn.Module<Tensor, Tensor, Tensor, Tensor>)network, images, labels, table!) },
                _ => [],
            };
        }
        finally
        {
            network.train(training);
        }
    }

    static double Accuracy(Tensor images, Tensor labels, Func<Tensor, Tensor> logits)
    {
        long correct = 0, n = images.shape[0];
        for (long start = 0; start < n; start += Batch)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(Batch, n - start);
            var predicted = logits(images.narrow(0, start, size)).argmax(1);
            correct += predicted.eq(labels.narrow(0, start, size)).sum().item<long>();
        }
        return n == 0 ? double.NaN : (double)correct / n;
    }

    /// <summary>Accuracy on x_t at steps 0, N/4, N/2 and 3N/4 (the last is nearly pure noise for MNIST).</summary>
    static Dictionary<string, double> NoisyAccuracy(nn.Module<Tensor, Tensor, Tensor> classifier, Tensor images, Tensor labels, StepTable table)
    {
        var scores = new Dictionary<string, double>();
        foreach (int step in new[] { 0, table.Steps / 4, table.Steps / 2, 3 * table.Steps / 4 })
            scores[$"heldOutAccuracyAtStep{step}"] = Accuracy(images, labels, x =>
            {
                var (_, noisy, _) = table.Noise(x, step);
                using Scalar value = (double)step;
                using var steps = full(x.shape[0], value, x.dtype, x.device);
                return classifier.forward(noisy, steps);
            });
        return scores;
    }

    static double DenoisingLoss(nn.Module<Tensor, Tensor, Tensor, Tensor> denoiser, Tensor images, Tensor labels, StepTable table)
    {
        long n = Math.Min(images.shape[0], 1000);
        double total = 0;
        for (long start = 0; start < n; start += Batch)
        {
            using var scope = NewDisposeScope();
            long size = Math.Min(Batch, n - start);
            var (steps, noisy, eps) = table.Noise(images.narrow(0, start, size));
            var predicted = denoiser.forward(noisy, steps, labels.narrow(0, start, size));
            total += nn.functional.mse_loss(predicted, eps, nn.Reduction.Sum).to_type(ScalarType.Float64).item<double>();
        }
        return total / (n * images[0].numel());
    }
}
