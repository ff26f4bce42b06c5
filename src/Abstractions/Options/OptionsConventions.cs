namespace Pipeline.Options;

/// <summary>
/// How plugin options are written. An options type is a class with a public parameterless constructor
/// and public settable properties whose initial values are the defaults. JSON keys are the property
/// names in camelCase. Supported property types: bool, int, long, double, string, enums (written as
/// kebab-case strings), arrays and lists of these, nested arrays, and nullable forms (null = not set).
/// Annotate with System.ComponentModel.DataAnnotations: [Range] for limits, [Required] for values
/// without default, [Description] (System.ComponentModel) for the schema and <c>list</c>;
/// implement IValidatableObject for checks that involve several options. Mark a string option that names an input
/// file with <see cref="FilePathAttribute"/>: the host hands the plugin its absolute path and records the file's checksum.
/// </summary>
public static class OptionsConventions
{
    public static string JsonName(string propertyName) =>
        propertyName.Length == 0 ? propertyName : char.ToLowerInvariant(propertyName[0]) + propertyName[1..];

    /// <summary>PascalCase enum member to kebab-case ("ScaledLinear" -> "scaled-linear").</summary>
    public static string EnumName(string member)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < member.Length; i++)
        {
            char c = member[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(member[i - 1]) || char.IsDigit(member[i - 1]))) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
