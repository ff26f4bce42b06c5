using Pipeline.Training;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Tests.Support;

/// <summary>
/// A Denoising Diffusion GAN small enough to train in seconds: MLP generator and discriminator on 2-D points, trained by
/// the host's <see cref="AdversarialTrainer"/> on a two-mode mixture, then sampled along the same chain.
/// </summary>
public static class TwoDimensionalGan
{
    public const int Latent = 4, Hidden = 64;

    /// <summary>G(x_(j+1), z, j, labels) = x_0': the point, the latent code and the step one-hot into a 3-layer MLP.</summary>
    public sealed class Generator2D : Module<Tensor, Tensor, Tensor, Tensor, Tensor>
    {
        readonly Sequential net;
        readonly int steps;

        public Generator2D(int steps) : base(nameof(Generator2D))
        {
            this.steps = steps;
            net = Sequential(Linear(2 + Latent + steps, Hidden), SiLU(), Linear(Hidden, Hidden), SiLU(), Linear(Hidden, 2));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x, Tensor z, Tensor step, Tensor labels)
        {
            using var scope = NewDisposeScope();
            var onehot = functional.one_hot(step.to_type(int64), steps).to_type(x.dtype);
            return scope.MoveToOuter(net.forward(cat([x, z.to_type(x.dtype), onehot], 1)));
        }
    }

    /// <summary>D(x_j, x_(j+1), j, labels) = logit.</summary>
    public sealed class Discriminator2D : Module<Tensor, Tensor, Tensor, Tensor, Tensor>
    {
        readonly Sequential net;
        readonly int steps;

        public Discriminator2D(int steps) : base(nameof(Discriminator2D))
        {
            this.steps = steps;
            net = Sequential(Linear(4 + steps, Hidden), LeakyReLU(0.2), Linear(Hidden, Hidden), LeakyReLU(0.2), Linear(Hidden, 1));
            RegisterComponents();
        }

        public override Tensor forward(Tensor previous, Tensor x, Tensor step, Tensor labels)
        {
            using var scope = NewDisposeScope();
            var onehot = functional.one_hot(step.to_type(int64), steps).to_type(x.dtype);
            return scope.MoveToOuter(net.forward(cat([previous, x, onehot], 1)).squeeze(1));
        }
    }

    public sealed class Pair : Module
    {
        public Pair(int steps) : base(nameof(Pair))
        {
            generator = new Generator2D(steps);
            discriminator = new Discriminator2D(steps);
            RegisterComponents();
        }

        readonly Generator2D generator;
        readonly Discriminator2D discriminator;

        public Generator2D Generator => generator;
    }

    /// <summary>The network as a plugin would export it; its checkpoint is the pair's weights at the given path.</summary>
    public static TrainableNetwork Network(int steps) => new("mlp-ddgan", [], AdversarialTrainer.Role, "2-D DDGAN", _ =>
    {
        var pair = new Pair(steps);
        var architecture = new JObject { ["latentSize"] = Latent, ["trainingSteps"] = steps }.ToString();
        return new TrainableNetworkInstance(pair, architecture, (path, _, _) => pair.save(path));
    });

    /// <summary>Modes at (-0.8, 0) and (0.8, 0), std 0.1, equal weights; labels all 0.</summary>
    public static TrainingDataset Mixture(int count, long seed) => new("two-modes", "", (_, _) =>
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        using var scope = NewDisposeScope();
        using Scalar spread = 0.1, zero = 0L, one = 1L, two = 2L, scale = 1.6, shift = -0.8;
        var mode = randint(0, 2, [count], int64, generator: generator).to_type(float32);
        var points = randn([count, 2], generator: generator).mul_(spread);
        points.select(1, 0).Plus_(mode.mul(scale).add_(shift, one));
        var labels = zeros(count, int64);
        var held = points.narrow(0, 0, 10).clone();
        var heldLabels = labels.narrow(0, 0, 10).clone();
        return new TrainingData(scope.MoveToOuter(points), scope.MoveToOuter(labels), scope.MoveToOuter(held), scope.MoveToOuter(heldLabels));
    });

    /// <summary>Samples of the chain from x_T ~ N(0, I), with the generator of a checkpoint written by <see cref="Network"/>.</summary>
    public static Tensor Sample(string checkpoint, DdganChain chain, int count, long seed)
    {
        using var pair = new Pair(chain.Steps);
        pair.load(checkpoint);
        pair.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        random.manual_seed(seed);
        var x = randn(count, 2);
        var labels = zeros(count, int64);
        for (int j = chain.Steps - 1; j >= 0; j--)
        {
            using Scalar index = (long)j;
            var step = full(count, index, int64);
            var x0 = pair.Generator.forward(x, randn(count, Latent), step.to_type(float32), labels);
            x = chain.Posterior(x0, x, step, randn_like(x));
        }
        return scope.MoveToOuter(x);
    }
}
