using System.ComponentModel.DataAnnotations;
using Pipeline.Options;

namespace Pipeline.Plugins.Search.AutoDiffusion;

/// <summary>
/// The options' DataAnnotations checks as a <see cref="PipelineInputException"/> naming each option by its JSON name.
/// The host runs the same checks with JSON paths; this keeps a search built directly (a test, an embedding program)
/// from running on options the host would reject.
/// </summary>
static class OptionsCheck
{
    public static void ThrowIfInvalid(object options, string plugin)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)) return;
        var lines = results.Select(r =>
        {
            var names = r.MemberNames.Select(n => $"'{OptionsConventions.JsonName(n)}'").ToList();
            bool named = names.Any(n => r.ErrorMessage?.Contains(n) == true);
            return names.Count == 0 || named ? r.ErrorMessage : $"option {string.Join(", ", names)}: {r.ErrorMessage}";
        });
        throw new PipelineInputException($"{plugin}: {string.Join("; ", lines)}");
    }
}
