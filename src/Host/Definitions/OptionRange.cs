using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Newtonsoft.Json.Linq;

namespace Pipeline.Host.Definitions;

/// <summary>
/// The values a <see cref="RangeAttribute"/> allows an option, as <c>list</c> prints them and the JSON Schema writes them.
/// A bound at the option type's own limit (int.MaxValue on an int, double.MaxValue on a double) is no bound.
/// </summary>
/// <param name="Minimum">The lower bound, or null when there is none.</param>
/// <param name="Maximum">The upper bound, or null when there is none.</param>
/// <param name="MinimumExclusive">True when the lower bound itself is not allowed.</param>
/// <param name="MaximumExclusive">True when the upper bound itself is not allowed.</param>
public sealed record OptionRange(double? Minimum, double? Maximum, bool MinimumExclusive, bool MaximumExclusive)
{
    /// <summary>The range of <paramref name="option"/>, or null when it has no [Range].</summary>
    public static OptionRange? Of(PropertyInfo option)
    {
        if (option.GetCustomAttribute<RangeAttribute>() is not { } range) return null;
        var type = Nullable.GetUnderlyingType(option.PropertyType) ?? option.PropertyType;
        double? min = Bound(range.Minimum, type), max = Bound(range.Maximum, type);
        return new(min, max, min is not null && range.MinimumIsExclusive, max is not null && range.MaximumIsExclusive);
    }

    static double? Bound(object value, Type type)
    {
        double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        bool limit = double.IsInfinity(d) || Math.Abs(d) == double.MaxValue
            || type == typeof(int) && (d <= int.MinValue || d >= int.MaxValue)
            || type == typeof(long) && (d <= long.MinValue || d >= long.MaxValue)
            || type == typeof(float) && Math.Abs(d) >= float.MaxValue;
        return limit ? null : d;
    }

    /// <summary>"in [0, 1]", "in (0, 1000000]", "&gt;= 1", "&gt; 0"; empty when unbounded both ways.</summary>
    public override string ToString() => (Minimum, Maximum) switch
    {
        ({ } lo, { } hi) => $"in {(MinimumExclusive ? '(' : '[')}{Number(lo)}, {Number(hi)}{(MaximumExclusive ? ')' : ']')}",
        ({ } lo, null) => $"{(MinimumExclusive ? ">" : ">=")} {Number(lo)}",
        (null, { } hi) => $"{(MaximumExclusive ? "<" : "<=")} {Number(hi)}",
        _ => "",
    };

    /// <summary>Writes the bounds into a JSON Schema of the option (draft 2020-12 keywords).</summary>
    public void WriteTo(JObject schema)
    {
        if (Minimum is { } lo) schema[MinimumExclusive ? "exclusiveMinimum" : "minimum"] = Json(lo);
        if (Maximum is { } hi) schema[MaximumExclusive ? "exclusiveMaximum" : "maximum"] = Json(hi);
    }

    /// <summary>Whole bounds as JSON integers (the bounds of integer options), others as numbers.</summary>
    static JValue Json(double d) => d == Math.Floor(d) && Math.Abs(d) < 9e15 ? new JValue((long)d) : new JValue(d);

    static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
