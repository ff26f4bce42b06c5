using TorchSharp;
using static TorchSharp.torch;
using Pipeline;

namespace Pipeline.Host.Training;

/// <summary>
/// Random whole-pixel translations and small rotations of images in [-1, 1] with background -1, one affine
/// map per image through a sampling grid (so a batch costs two tensor operations).
/// </summary>
public static class Augmentation
{
    public static Tensor Apply(Tensor images, int shift, double rotationDegrees)
    {
        if (shift == 0 && rotationDegrees == 0) return images.alias();
        using var scope = NewDisposeScope();
        long b = images.shape[0], h = images.shape[^2], w = images.shape[^1];
        var device = images.device;
        using Scalar two = 2.0, one = 1.0, radians = rotationDegrees * Math.PI / 180, pixelX = 2.0 / w, pixelY = 2.0 / h;
        var angle = rand(b, float32, device).mul_(two).sub_(one).mul_(radians);
        // In grid coordinates [-1, 1] (align_corners = false) one pixel is 2 / size.
        var dx = randint(-shift, shift + 1, [b], float32, device).mul_(pixelX);
        var dy = randint(-shift, shift + 1, [b], float32, device).mul_(pixelY);
        var cos = angle.cos();
        var sin = angle.sin();
        var theta = stack([cos, sin.neg(), dx, sin, cos, dy], 1).view(b, 2, 3).to_type(images.dtype);
        var grid = nn.functional.affine_grid(theta, [b, images.shape[1], h, w], align_corners: false);
        // Shift to [0, 2] so the zeros that fill uncovered pixels are background (-1) after shifting back.
        var moved = nn.functional.grid_sample(images.Plus(one), grid, align_corners: false).sub_(one);
        return scope.MoveToOuter(moved);
    }
}
