// The embedding half of scripts/sdk-check.sh: a console app that references only the Pipeline.Host package.
// It runs a definition with the built-in plugins (progress reported), checks that cancelling mid-run throws and
// writes nothing, reads the samples back, and checks them (and the tool's samples, if given) against the mixture.
// Usage: Embed <definition.json> <output folder> [tool samples.npy]
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.IO;
using TorchSharp;

int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok" : "FAILED")}: {what}");
    if (!ok) failures++;
}

var host = new PipelineHost();
var definition = PipelineDefinition.Load(args[0]);

// Cancellation: cancelled at the second step, the run throws and leaves no output folder.
string cancelledFolder = args[1] + "-cancelled";
using (var cancel = new CancellationTokenSource())
{
    bool threw = false;
    try
    {
        host.Run(definition, cancelledFolder, progress: p => { if (p.Step >= 2) cancel.Cancel(); }, cancellation: cancel.Token);
    }
    catch (OperationCanceledException) { threw = true; }
    Check(threw && !Directory.Exists(cancelledFolder), "a cancelled run throws OperationCanceledException and writes nothing");
}

int reports = 0, lastStep = 0;
string folder = host.Run(definition, args[1], overwrite: true, progress: p => { reports++; lastStep = p.Step; });
Check(reports > 0 && lastStep == 20, $"progress reported {reports} times, last step {lastStep} of 20");

CheckMixture(Path.Combine(folder, "samples.npy"), "embedded run");
if (args.Length > 2) CheckMixture(args[2], "tool run with the template's solver");
Console.WriteLine(failures == 0 ? "embed: all checks passed" : $"embed: {failures} checks failed");
return failures == 0 ? 0 : 1;

// The mixture of examples/gmm-ddim.json: weights 0.2, 0.5, 0.3, means (-2, 0), (1, 1.5), (1.5, -1.5), standard deviations
// 0.3, 0.5, (0.4, 0.2): mean (0.55, 0.30) and standard deviation 1.365 and 1.366 per coordinate. With 1000 samples the
// standard error of a mean is 0.04, so 0.15 and 10% leave room for the sampler's own error at 20 steps.
void CheckMixture(string path, string what)
{
    if (!File.Exists(path)) { Check(false, $"{what}: {path} exists"); return; }
    using var samples = NpyFile.Read(path).to(torch.ScalarType.Float64);
    Check(samples.shape.Length == 2 && samples.shape[1] == 2, $"{what}: samples of shape [{string.Join(", ", samples.shape)}]");
    Check(samples.isfinite().all().item<bool>(), $"{what}: every sample finite");
    using var mean = samples.mean([0L]);
    using var std = samples.std(0L);
    double[] m = mean.data<double>().ToArray(), s = std.data<double>().ToArray();
    Check(Math.Abs(m[0] - 0.55) < 0.15 && Math.Abs(m[1] - 0.30) < 0.15, $"{what}: mean ({m[0]:0.000}, {m[1]:0.000}) near (0.55, 0.30)");
    Check(Math.Abs(s[0] / 1.365 - 1) < 0.1 && Math.Abs(s[1] / 1.366 - 1) < 0.1, $"{what}: std ({s[0]:0.000}, {s[1]:0.000}) near (1.365, 1.366)");
}
