using Pipeline.Training;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pipeline.Options;
using TorchSharp;
using TorchSharp.Modules;

namespace Pipeline.Host.Training;

/// <summary>
/// The resumable state of a run, one file: a magic line, a JSON header (step, settings, elapsed time), the
/// network's weights, the moving average's weights (when kept) and the optimizer's state, in TorchSharp's
/// formats. Written to a temporary file and renamed over the old one, so an interruption at any moment leaves
/// the previous complete state. Random draws need no saved state: they are seeded from (seed, step).
/// </summary>
public static class TrainingState
{
    public const string FileName = "state.bin";
    const string Magic = "PIPELINE-TRAIN-STATE 2\n";

    public static void Write(string path, JObject header, torch.nn.Module network, torch.nn.Module? average, ExplicitAdamW optimizer)
    {
        string temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = File.Create(temp))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(Encoding.ASCII.GetBytes(Magic));
                writer.Write(header.ToString(Formatting.None));
                network.save(writer);
                writer.Write(average is not null);
                average?.save(writer);
                optimizer.Save(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The JSON header of a state file.</summary>
    public static JObject ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return Header(reader, path);
    }

    /// <summary>Loads weights, average and optimizer state into freshly built objects of the same shapes.</summary>
    public static void Read(string path, torch.nn.Module network, torch.nn.Module? average, ExplicitAdamW optimizer)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            Header(reader, path);
            network.load(reader, strict: true);
            bool hasAverage = reader.ReadBoolean();
            if (hasAverage != average is not null)
                throw new InvalidDataException(hasAverage ? "it keeps a moving average but emaDecay is 0" : "it keeps no moving average but emaDecay is set");
            average?.load(reader, strict: true);
            optimizer.Load(reader);
            if (stream.Position != stream.Length) throw new InvalidDataException("it has bytes after the optimizer state");
        }
        catch (Exception e) when (e is not PipelineInputException and not OutOfMemoryException)
        {
            throw Damaged(path, e.Message, e);
        }
    }

    static JObject Header(BinaryReader reader, string path)
    {
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (Encoding.ASCII.GetString(magic) != Magic) throw new InvalidDataException("it does not start with the training-state marker");
            return JObject.Parse(reader.ReadString());
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or JsonException or IOException)
        {
            throw Damaged(path, e.Message, e);
        }
    }

    static PipelineInputException Damaged(string path, string why, Exception inner) =>
        new($"the training state '{path}' cannot be resumed ({why}); it is damaged or from another configuration: run with --overwrite to start over, or choose another output folder", null, inner);
}
