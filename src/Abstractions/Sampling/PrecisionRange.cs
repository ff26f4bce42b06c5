using TorchSharp;

namespace Pipeline.Sampling;

/// <summary>
/// The numbers a floating type holds, so values computed on the host in double precision (schedule coefficients,
/// file contents, trained parameters) are refused before sampling when the run's dtype cannot hold them; otherwise
/// libtorch fails mid-run converting them ("cannot be converted to type float without overflow") or they become 0 or inf.
/// </summary>
public static class PrecisionRange
{
    /// <summary>Largest finite value of <paramref name="type"/>.</summary>
    public static double MaxFinite(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float16 => 65504.0,
        torch.ScalarType.BFloat16 => 3.3895313892515355e38,
        torch.ScalarType.Float32 => float.MaxValue,
        _ => double.MaxValue,
    };

    /// <summary>Smallest positive value of <paramref name="type"/> (subnormal); anything smaller rounds to 0.</summary>
    public static double MinPositive(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float16 => 5.960464477539063e-8,
        torch.ScalarType.BFloat16 => 9.183549615799121e-41,
        torch.ScalarType.Float32 => 1.401298464324817e-45,
        _ => double.Epsilon,
    };

    /// <summary>The type's name as users write it in sampling.dtype.</summary>
    public static string Name(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float16 => "float16",
        torch.ScalarType.BFloat16 => "bfloat16",
        torch.ScalarType.Float32 => "float32",
        torch.ScalarType.Float64 => "float64",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether <paramref name="value"/> is finite and within the finite range of <paramref name="type"/>.</summary>
    public static bool Holds(torch.ScalarType type, double value) =>
        double.IsFinite(value) && Math.Abs(value) <= MaxFinite(type);

    /// <summary>Why <paramref name="value"/> (named <paramref name="what"/>) does not fit <paramref name="type"/>, or null.</summary>
    public static string? Problem(torch.ScalarType type, string what, double value) =>
        Holds(type, value) ? null
            : $"{what} = {value:G6} is outside the finite range of {Name(type)} (largest {MaxFinite(type):G6})";
}
