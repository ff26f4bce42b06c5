using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Pipeline.Options;

namespace Pipeline.Plugins.Models.Mnist.Networks;

/// <summary>
/// Architecture configs of the MNIST networks as JSON: camelCase keys, unknown keys refused, DataAnnotations
/// checked. The same text sits in a checkpoint's JSON and in a training config's "architecture".
/// </summary>
public static class NetworkConfig
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        WriteIndented = false,
    };

    /// <summary>Parses and validates; <paramref name="where"/> names the source in errors ("the checkpoint's architecture").</summary>
    public static T Parse<T>(string? json, string where) where T : class, new()
    {
        T config;
        try
        {
            config = string.IsNullOrWhiteSpace(json) ? new T() : JsonSerializer.Deserialize<T>(json, Options) ?? new T();
        }
        catch (JsonException e)
        {
            throw new PipelineInputException($"{where}: {e.Message.Split(" Path:")[0]} (allowed keys: {string.Join(", ", Keys<T>())})", e.Path, e);
        }
        Validate(config, where);
        return config;
    }

    public static T Parse<T>(JsonNode? node, string where) where T : class, new() => Parse<T>(node?.ToJsonString(), where);

    public static void Validate(object config, string where)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(config, new ValidationContext(config), results, validateAllProperties: true))
        {
            var first = results[0];
            var member = first.MemberNames.FirstOrDefault();
            throw new PipelineInputException($"{where}: {first.ErrorMessage}", member is null ? null : "$." + OptionsConventions.JsonName(member));
        }
    }

    /// <summary>The config with every value written out (defaults included).</summary>
    public static JsonObject ToJson(object config) => JsonSerializer.SerializeToNode(config, config.GetType(), Options)!.AsObject();

    static IEnumerable<string> Keys<T>() => typeof(T).GetProperties().Where(p => p.CanWrite).Select(p => OptionsConventions.JsonName(p.Name));
}
