using TorchSharp;

namespace Pipeline.Tests.TestSupport;

public static class Tensors
{
    /// <summary>Same shape and the same value in every element.</summary>
    public static bool Same(torch.Tensor a, torch.Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }
}
