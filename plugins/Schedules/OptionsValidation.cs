using System.ComponentModel.DataAnnotations;
using Pipeline.Options;

namespace Pipeline.Plugins.Schedules;

/// <summary>
/// Runs the DataAnnotations checks of an options object and raises the first failures as a
/// <see cref="PipelineInputException"/>. The host runs the same checks with JSON paths; this guard keeps
/// a plugin built directly (an embedding program, a test) from running on options the host would reject.
/// </summary>
static class OptionsValidation
{
    public static void ThrowIfInvalid(object options, string plugin)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)) return;
        var lines = results.Select(r =>
        {
            var names = string.Join(", ", r.MemberNames.Select(n => $"'{OptionsConventions.JsonName(n)}'"));
            bool named = r.MemberNames.Any(n => r.ErrorMessage?.Contains($"'{OptionsConventions.JsonName(n)}'") == true);
            return names.Length == 0 || named ? r.ErrorMessage : $"option {names}: {r.ErrorMessage}";
        });
        throw new PipelineInputException($"{plugin}: {string.Join("; ", lines)}");
    }

    /// <summary>A validation result pointing at one option, worded with its JSON name.</summary>
    public static ValidationResult Error(string property, string message) =>
        new($"'{OptionsConventions.JsonName(property)}' {message}", [property]);
}
