using Newtonsoft.Json.Linq;
using Pipeline.Host.Outputs;
using Pipeline.Host.Sharding;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>
/// Sharded runs (docs/scale.md): shards run as separate processes of the built command line and merged give the files
/// of one run bit for bit (report.json equal but for its timings), and a merge refuses, with exit code 2, naming the
/// shard folder and writing nothing, shards that are missing, given twice, of another definition, truncated or altered.
/// </summary>
public class ShardTests
{

    /// <summary>
    /// The UNet (batch-size-dependent kernels: shards must keep the single run's batches), a stochastic DDIM (every
    /// step draws from the samples' own noise streams), labels in rows (grid order), the trajectory and a metric whose
    /// LeNet batches are the sampling batches, so that shards and the single run compute the same features bit for bit.
    /// </summary>
    static string UnetDefinition(string root) => $$"""
        {
          "name": "sharded",
          "model": { "type": "mnist-unet", "checkpoint": "{{Path.Combine(root, "models", "mnist-unet.ckpt")}}" },
          "noiseSchedule": { "type": "discrete", "betaSchedule": "linear" },
          "timeSteps": { "type": "time-uniform", "steps": 3 },
          "solver": { "type": "ddim", "eta": 1.0 },
          "metrics": [ { "type": "mnist-fid", "batchSize": 3 } ],
          "sampling": { "count": 22, "batchSize": 3, "seed": 41, "labelsInRows": true, "device": "cpu" },
          "outputs": { "trajectory": true, "grid": true }
        }
        """;

    static JObject WithoutTimings(string reportFile)
    {
        var report = JObject.Parse(File.ReadAllText(reportFile));
        report.Remove("timings");
        return report;
    }

    [Fact]
    public void FourShardProcessesMergeIntoTheFilesOfOneRunBitForBit()
    {
        var root = PluginBuilds.RepoRoot;
        using var temp = new TempFolder();
        var definition = temp.Write("sharded.json", UnetDefinition(root));
        var single = CliProcess.Run(temp.Path, "run", definition, "--output", "single", "--quiet");
        Assert.True(single.ExitCode == 0, single.Err);
        for (int k = 0; k < 4; k++)
        {
            var shard = CliProcess.Run(temp.Path, "run", definition, "--shard", $"{k}/4", "--output", "runs/sharded", "--quiet");
            Assert.True(shard.ExitCode == 0, shard.Err);
            Assert.True(File.Exists(temp.File($"runs/sharded.shard-{k}-of-4/{ShardManifest.FileName}")));
        }
        // 8 batches of 3 over 4 shards: whole batches each, the last one short.
        var ranges = Enumerable.Range(0, 4).Select(k => ShardManifest.Read(temp.File($"runs/sharded.shard-{k}-of-4")).Range.ToString());
        Assert.Equal(["[0, 6)", "[6, 12)", "[12, 18)", "[18, 22)"], ranges);

        var merge = CliProcess.Run(temp.Path, "merge", "runs/sharded.shard-2-of-4", "runs/sharded.shard-0-of-4", "runs/sharded.shard-3-of-4", "runs/sharded.shard-1-of-4");
        Assert.True(merge.ExitCode == 0, merge.Err);
        var merged = temp.File("runs/sharded");
        var expected = Directory.GetFiles(temp.File("single")).Select(Path.GetFileName).Where(f => f != OutputManifest.FileName).Order().ToList();
        Assert.Equal(expected, Directory.GetFiles(merged).Select(Path.GetFileName).Where(f => f != OutputManifest.FileName).Order().ToList());
        Assert.Contains(RunWriter.GridFile, expected);
        Assert.Contains(RunWriter.TrajectoryFile, expected);
        foreach (var file in expected.Where(f => f != RunWriter.ReportFile))
            Assert.True(File.ReadAllBytes(temp.File($"single/{file}")).SequenceEqual(File.ReadAllBytes(Path.Combine(merged, file!))), $"{file} differs");
        Assert.Equal(WithoutTimings(temp.File("single/report.json")).ToString(), WithoutTimings(Path.Combine(merged, RunWriter.ReportFile)).ToString());

        // The scores from the shards' feature sums equal those from all samples up to float64 rounding, which the Frechet
        // distance's matrix square root enlarges here: 22 samples of 128 features have a covariance of rank 21, whose
        // zero eigenvalues come out as rounding noise under the square root (MergedStatisticsTests: 400 samples, 1e-9).
        var fromSums = CliProcess.Run(temp.Path, "merge", "runs/sharded.shard-0-of-4", "runs/sharded.shard-1-of-4", "runs/sharded.shard-2-of-4",
            "runs/sharded.shard-3-of-4", "--output", "from-sums", "--metrics", "statistics");
        Assert.True(fromSums.ExitCode == 0, fromSums.Err);
        var exact = WithoutTimings(temp.File("single/report.json"))["metrics"]!["mnist-fid"]!;
        var summed = JObject.Parse(File.ReadAllText(temp.File("from-sums/report.json")));
        Assert.Equal("shard statistics", (string)summed["metricsFrom"]!["mnist-fid"]!);
        foreach (var score in new[] { "frechet-distance", "accuracy", "diversity" })
        {
            double a = (double)exact[score]!, b = (double)summed["metrics"]!["mnist-fid"]![score]!;
            Assert.True(Math.Abs(a - b) <= (score == "frechet-distance" ? 1e-6 : 1e-9) * Math.Abs(a), $"{score}: {b} from sums against {a}");
        }
        Assert.True(File.ReadAllBytes(temp.File("single/samples.npy")).SequenceEqual(File.ReadAllBytes(temp.File("from-sums/samples.npy"))));
    }

    /// <summary>Four in-process shards of a mixture run into runs/mix.shard-K-of-4 of <paramref name="folder"/>.</summary>
    static void MixtureShards(TempFolder folder, int seed = 7, string name = "mix")
    {
        var definition = folder.Write(name + ".json", Definitions.Gmm(sampling: $"\"count\": 16, \"batchSize\": 4, \"seed\": {seed}"));
        for (int k = 0; k < 4; k++)
        {
            var outcome = Cli.Run("run", definition, "--shard", $"{k}/4", "--output", folder.File("runs/mix"), "--quiet", "--overwrite");
            Assert.True(outcome.ExitCode == 0, outcome.Err);
        }
    }

    static string Shard(TempFolder folder, int k) => folder.File($"runs/mix.shard-{k}-of-4");

    static void AssertRefused(Cli.Outcome outcome, string folderNamed, string why, string output)
    {
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(Path.GetFullPath(folderNamed), outcome.Err);
        Assert.Contains(why, outcome.Err);
        Assert.False(Directory.Exists(output), "a refused merge wrote its folder");
    }

    [Fact]
    public void MergeRefusesMissingDuplicatedMixedTruncatedAndCorruptShards()
    {
        using var temp = new TempFolder();
        MixtureShards(temp);
        var output = temp.File("merged");
        string[] All() => Enumerable.Range(0, 4).Select(k => Shard(temp, k)).ToArray();

        var good = Cli.Run(["merge", .. All(), "--output", temp.File("good")]);
        Assert.True(good.ExitCode == 0, good.Err);

        AssertRefused(Cli.Run(["merge", .. All().Where((_, k) => k != 2), "--output", output]), Shard(temp, 2), "missing", output);

        var twin = temp.File("copy-of-shard-1");
        CopyFolder(Shard(temp, 1), twin);
        AssertRefused(Cli.Run(["merge", .. All(), twin, "--output", output]), twin, "given twice", output);

        using (var other = new TempFolder())
        {
            MixtureShards(other, seed: 8);
            AssertRefused(Cli.Run(["merge", Shard(temp, 0), Shard(temp, 1), Shard(other, 2), Shard(temp, 3), "--output", output]),
                Shard(other, 2), "another definition", output);
        }

        var samples = Path.Combine(Shard(temp, 3), RunWriter.SamplesFile);
        var bytes = File.ReadAllBytes(samples);
        File.WriteAllBytes(samples, bytes[..^8]);
        AssertRefused(Cli.Run(["merge", .. All(), "--output", output]), Shard(temp, 3), "truncated", output);

        var altered = (byte[])bytes.Clone();
        altered[^1] ^= 0x40;
        File.WriteAllBytes(samples, altered);
        AssertRefused(Cli.Run(["merge", .. All(), "--output", output]), Shard(temp, 3), "corrupt", output);

        File.WriteAllBytes(samples, bytes);
        File.Delete(Path.Combine(Shard(temp, 0), ShardManifest.FileName));
        AssertRefused(Cli.Run(["merge", .. All(), "--output", output]), Shard(temp, 0), "not a complete shard", output);
    }

    [Fact]
    public void ShardingNeedsFixedSeedsAndWholeBatches()
    {
        using var temp = new TempFolder();
        var unseeded = temp.Write("unseeded.json", Definitions.Gmm(sampling: "\"count\": 16"));
        var refused = Cli.Run("run", unseeded, "--shard", "0/2", "--output", temp.File("out"), "--quiet");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("sampling.seed", refused.Err);

        var seeded = temp.Write("seeded.json", Definitions.Gmm(sampling: "\"count\": 16, \"batchSize\": 8, \"seed\": 1"));
        var tooMany = Cli.Run("run", seeded, "--shard", "0/3", "--output", temp.File("out"), "--quiet");
        Assert.Equal(2, tooMany.ExitCode);
        Assert.Contains("at most 2 shards", tooMany.Err);
        foreach (var bad in new[] { "4/4", "1", "-1/2", "a/b", "0/0" })
            Assert.Equal(2, Cli.Run("run", seeded, "--shard", bad, "--output", temp.File("out"), "--quiet").ExitCode);
        Assert.False(Directory.Exists(temp.File("out.shard-0-of-3")));
    }

    [Fact]
    public void ShardPlanCoversEveryIndexOnceInWholeBatches()
    {
        foreach (var (count, batch) in new[] { (22, 3), (16, 4), (1000, 7), (5, 5) })
        {
            int batches = (count + batch - 1) / batch;
            foreach (var n in new[] { 1, 2, 3, batches })
            {
                if (n > batches) continue;
                int next = 0;
                for (int k = 0; k < n; k++)
                {
                    var range = new ShardSpec(k, n).RangeIn(count, batch);
                    Assert.Equal(next, range.Start);
                    Assert.True(range.Count > 0 && (range.Start % batch == 0));
                    next = range.End;
                }
                Assert.Equal(count, next);
            }
        }
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
