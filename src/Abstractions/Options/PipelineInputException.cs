namespace Pipeline.Options;

/// <summary>
/// An error in what the user gave (definition, options, files, or a model producing non-finite values).
/// The command line maps it to exit code 2. <see cref="Path"/> is a JSON path such as <c>$.solver.order</c>
/// when the error belongs to a place in the definition.
/// </summary>
public class PipelineInputException(string message, string? path = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string? Path { get; } = path;
}
