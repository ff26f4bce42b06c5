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
/// weights of each module of the run (the network and the moving average when kept; for a GAN also the
/// discriminator), each preceded by whether it is there, and each optimizer's state, in TorchSharp's formats. Written to a temporary file and renamed over the old one, so an interruption at any moment leaves
/// the previous complete state. Random draws need no saved state: they are seeded from (seed, step).
/// </summary>
public static class TrainingState
{
    public const string FileName = "state.bin";
    const string Magic = "PIPELINE-TRAIN-STATE 3\n";

    public static void Write(string path, JObject header, torch.nn.Module network, torch.nn.Module? average, ExplicitAdamW optimizer) =>
        Write(path, header, [network, average], [optimizer]);

    /// <summary>Modules (null where a run keeps none, such as no moving average) and optimizers, in a fixed order.</summary>
    public static void Write(string path, JObject header, IReadOnlyList<torch.nn.Module?> modules, IReadOnlyList<ExplicitAdamW> optimizers)
    {
        string temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = File.Create(temp))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(Encoding.ASCII.GetBytes(Magic));
                writer.Write(header.ToString(Formatting.None));
                foreach (var module in modules)
                {
                    writer.Write(module is not null);
                    module?.save(writer);
                }
                foreach (var optimizer in optimizers) optimizer.Save(writer);
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
    public static void Read(string path, torch.nn.Module network, torch.nn.Module? average, ExplicitAdamW optimizer) =>
        Read(path, [network, average], [optimizer]);

    /// <summary>Loads what <see cref="Write(string, JObject, IReadOnlyList{torch.nn.Module?}, IReadOnlyList{ExplicitAdamW})"/> wrote, in the same order.</summary>
    public static void Read(string path, IReadOnlyList<torch.nn.Module?> modules, IReadOnlyList<ExplicitAdamW> optimizers)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            Header(reader, path);
            for (int i = 0; i < modules.Count; i++)
            {
                bool present = reader.ReadBoolean();
                if (present != modules[i] is not null)
                    throw new InvalidDataException(i == 1
                        ? present ? "it keeps a moving average but emaDecay is 0" : "it keeps no moving average but emaDecay is set"
                        : $"module {i} is {(present ? "there but not expected" : "missing")}");
                modules[i]?.load(reader, strict: true);
            }
            foreach (var optimizer in optimizers) optimizer.Load(reader);
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
