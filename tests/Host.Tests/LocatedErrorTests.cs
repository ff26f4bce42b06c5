using System.Text;
using Newtonsoft.Json.Linq;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>
/// Inputs that used to fail with a raw exception (exit 1), pass 'validate' and fail after sampling, or fail without a
/// place: each is refused by both 'validate' and 'run' with exit code 2, its JSON path and line first, and nothing written.
/// </summary>
public class LocatedErrorTests
{
    const string ImageModel = """
        { "type": "gmm", "weights": [0.3, 0.7], "means": [[-1, -1, -1, -1], [1.5, 1.5, 1.5, 1.5]], "stds": [[0.3], [0.5]], "sampleShape": [1, 2, 2] }
        """;

    /// <summary>A small mixture definition with one part replaced: (JSON path of the part, its new JSON value).</summary>
    static string Definition(params (string Path, string Json)[] changes)
    {
        var doc = JObject.Parse(Definitions.Gmm(sampling: "\"count\": 4, \"seed\": 7"));
        foreach (var (path, json) in changes)
        {
            var parts = path.Split('.');
            JObject parent = doc;
            foreach (var p in parts[..^1]) parent = (JObject)(parent[p] ??= new JObject());
            parent[parts[^1]] = JToken.Parse(json);
        }
        return doc.ToString();
    }

    static void AssertLocated(TempFolder dir, string json, string path)
    {
        var file = dir.Write("case.json", json);
        var validate = Cli.Run("validate", file);
        Assert.True(validate.ExitCode == 2, $"validate: exit {validate.ExitCode}: {validate.Out}{validate.Err}");
        Assert.StartsWith($"error: {path} (line ", validate.Err);

        var run = Cli.Run("run", file, "--output", dir.File("out"), "--quiet");
        Assert.True(run.ExitCode == 2, $"run: exit {run.ExitCode}: {run.Err}");
        Assert.StartsWith($"error: {path} (line ", run.Err);
        Assert.False(Directory.Exists(dir.File("out")), "nothing may be written for bad input");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path), p => Path.GetFileName(p).StartsWith('.'));
    }

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // name, JSON path of the change, its value, the path the error must name
        { "betas falling from 0.5", "noiseSchedule", """{ "type": "discrete", "betaStart": 0.5, "betaEnd": 1e-4 }""", "$.noiseSchedule" },
        { "betas all 0.5", "noiseSchedule", """{ "type": "discrete", "betaStart": 0.5, "betaEnd": 0.5 }""", "$.noiseSchedule" },
        { "explicit betas near 1", "noiseSchedule", "{ \"type\": \"discrete\", \"betas\": [" + string.Join(", ", Enumerable.Repeat("0.999999", 1000)) + "] }", "$.noiseSchedule" },
        { "mixture weights summing to infinity", "model.weights", "[1e308, 1e308]", "$.model.weights" },
        { "count beyond an integer", "sampling.count", "1e15", "$.sampling.count" },
        { "pc on 2-D samples", "solver", """{ "type": "pc" }""", "$.solver" },
        { "mnist-fid on the mixture", "metrics", """[{ "type": "mnist-fid" }]""", "$.metrics[0]" },
        { "reference-ode-error ending at 0", "timeSteps", """{ "type": "explicit", "times": [1.0, 0.5, 0.1, 0.0] }""", "$.metrics[0]" },
        { "missing torchscript file", "model", """{ "type": "torchscript", "path": "missing.pt", "sampleShape": [2] }""", "$.model.path" },
        { "missing mnist checkpoint", "model", """{ "type": "mnist-unet", "checkpoint": "missing.ckpt" }""", "$.model.checkpoint" },
        { "missing AMED predictor", "solver", """{ "type": "amed", "predictor": "missing.json" }""", "$.solver.predictor" },
    };

    [Theory, MemberData(nameof(Cases))]
    public void IsRefusedBeforeSamplingWithItsPath(string name, string change, string value, string path)
    {
        _ = name;
        using var dir = new TempFolder();
        var changes = new List<(string, string)> { (change, value) };
        if (path == "$.metrics[0]" && change == "timeSteps") changes.Add(("metrics", """[{ "type": "reference-ode-error" }]"""));
        AssertLocated(dir, Definition([.. changes]), path);
    }

    [Theory]
    [InlineData("model.pt", "model", """{ "type": "torchscript", "path": "model.pt", "sampleShape": [2] }""", "$.model.path")]
    [InlineData("unet.ckpt", "model", """{ "type": "mnist-unet", "checkpoint": "unet.ckpt" }""", "$.model.checkpoint")]
    [InlineData("amed.json", "solver", """{ "type": "amed", "predictor": "amed.json" }""", "$.solver.predictor")]
    public void CorruptFilesNameTheirOption(string file, string section, string value, string path)
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File(file), "not a model");
        if (file.EndsWith(".ckpt")) File.WriteAllText(dir.File(Path.ChangeExtension(file, ".json")), "{ \"broken\": ");
        AssertLocated(dir, Definition((section, value)), path);
    }

    [Fact]
    public void EdmSigmaBeyondFloat16IsRefused()
    {
        using var dir = new TempFolder();
        AssertLocated(dir, Definition(
            ("noiseSchedule", """{ "type": "edm", "sigmaMax": 1e6 }"""), ("timeSteps", """{ "type": "karras", "steps": 10 }"""),
            ("sampling.dtype", "\"float16\"")), "$.noiseSchedule");
    }

    [Theory]
    [InlineData("""{ "type": "discrete" }""", "float16")]
    [InlineData("""{ "type": "discrete", "betaSchedule": "squaredcos-cap-v2" }""", "float32")]
    [InlineData("""{ "type": "edm" }""", "float16")]
    [InlineData("""{ "type": "discrete", "betaStart": 0.5, "betaEnd": 1e-4, "trainingSteps": 10 }""", "float32")]
    public void SchedulesTheDtypeHoldsStillPass(string schedule, string dtype)
    {
        using var dir = new TempFolder();
        var r = Cli.Run("validate", dir.Write("ok.json", Definition(("noiseSchedule", schedule), ("sampling.dtype", $"\"{dtype}\""))));
        Assert.True(r.ExitCode == 0, r.Err);
    }

    [Fact]
    public void ExactOdeErrorOnATorchScriptModelIsRefused()
    {
        using var dir = new TempFolder();
        var file = FindFixture("TorchScript/gmm_eps.pt");
        AssertLocated(dir, Definition(
            ("model", new JObject { ["type"] = "torchscript", ["path"] = file, ["sampleShape"] = new JArray(2) }.ToString()),
            ("metrics", """[{ "type": "exact-ode-error" }]""")), "$.metrics[0]");
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("0")]
    public void BadGridColumnsOnImagesAreRefused(string columns)
    {
        using var dir = new TempFolder();
        AssertLocated(dir, Definition(("model", ImageModel), ("outputs", $$"""{ "gridColumns": {{columns}} }""")), "$.outputs.gridColumns");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[1, -1]")]
    [InlineData("[0, 1, 2]")]
    public void BadGridRangeOnImagesIsRefused(string range)
    {
        using var dir = new TempFolder();
        AssertLocated(dir, Definition(("model", ImageModel), ("outputs", $$"""{ "gridRange": {{range}} }""")), "$.outputs.gridRange");
    }

    [Fact]
    public void CudaWithoutCudaNamesTheDevice()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // only meaningful where CUDA is missing
        using var dir = new TempFolder();
        AssertLocated(dir, Definition(("sampling.device", "\"cuda\"")), "$.sampling.device");
    }

    [Fact]
    public void NonFiniteInitialNoiseBlamesTheFile()
    {
        using var dir = new TempFolder();
        var values = new float[8];
        values[3] = float.NaN;
        WriteNpy(dir.File("noise.npy"), "(4, 2)", FloatBytes(values));
        AssertLocated(dir, Definition(("sampling.initialNoise", "\"noise.npy\"")), "$.sampling.initialNoise");
        var r = Cli.Run("validate", dir.File("case.json"));
        Assert.Contains("not finite", r.Err);
    }

    [Theory]
    [InlineData("(4000000000,)", null)]
    [InlineData("(2147483648, 2147483648)", null)]
    [InlineData("(4, 2)", 0xFFFFFFF0u)]
    public void ImpossibleNpyHeadersAreRefused(string shape, uint? headerLength)
    {
        using var dir = new TempFolder();
        WriteNpy(dir.File("noise.npy"), shape, [], headerLength);
        AssertLocated(dir, Definition(("sampling.initialNoise", "\"noise.npy\"")), "$.sampling.initialNoise");
    }

    static byte[] FloatBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>A .npy file with the given header shape and data; a format-2 header length field when one is given.</summary>
    static void WriteNpy(string path, string shape, byte[] data, uint? headerLength = null)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        header = header.PadRight(header.Length + (64 - (header.Length + 11) % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)(headerLength is null ? 1 : 2), 0]);
        if (headerLength is uint length) f.Write(BitConverter.GetBytes(length));
        else f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(Encoding.ASCII.GetBytes(header));
        f.Write(data);
    }

    static string FindFixture(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Fixtures", relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(relative);
    }
}
