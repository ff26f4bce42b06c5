using TorchSharp;
using Pipeline.IO;
using Pipeline.Options;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Data;

/// <summary>Digits as NumPy arrays: images.npy (uint8 [N, 28, 28] or [N, 1, 28, 28]) and labels.npy (integers [N]).</summary>
public static class NpyDigits
{
    public static (Tensor Pixels, Tensor Labels) Read(string imageFile, string labelFile)
    {
        if (!File.Exists(labelFile))
            throw new PipelineInputException($"'{imageFile}' has no '{Path.GetFileName(labelFile)}' beside it; save the labels with numpy.save");
        using var images = NpyFile.Read(imageFile);
        using var labels = NpyFile.Read(labelFile);
        if (images.dtype != ScalarType.Byte)
            throw new PipelineInputException($"'{imageFile}' holds {images.dtype}; save the pixels as uint8 (0..255)");
        long n = images.shape[0];
        bool shaped = images.shape.SequenceEqual(new long[] { n, 28, 28 }) || images.shape.SequenceEqual(new long[] { n, 1, 28, 28 });
        if (!shaped)
            throw new PipelineInputException($"'{imageFile}' has shape [{string.Join(", ", images.shape)}]; digits are [N, 28, 28]");
        if (labels.dim() != 1 || labels.shape[0] != n || labels.is_floating_point())
            throw new PipelineInputException($"'{labelFile}' must hold {n} integer labels, one per image");
        var labels64 = labels.to_type(int64);
        using Scalar zero = 0L, classes = (long)MnistDigits.Classes;
        using (var bad = labels64.lt(zero).logical_or(labels64.ge(classes)).any())
            if (bad.item<bool>())
                throw new PipelineInputException($"'{labelFile}' holds labels outside 0..9");
        return (images.reshape(n, 28, 28).clone(), labels64);
    }
}
