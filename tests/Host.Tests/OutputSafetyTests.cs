using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Pipeline.Host.Outputs;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>What a command may do to the file system: write only where asked, replace only what it wrote, clean up after killed runs.</summary>
public class OutputSafetyTests
{
    static string Run(TempFolder dir, string extra = "") => dir.Write("run.json", Definitions.Gmm(sampling: "\"count\": 2, \"seed\": 1", extra: extra));

    [Fact]
    public void EveryOutputFolderCarriesTheManifestAndOnlySuchFoldersAreOverwritten()
    {
        using var dir = new TempFolder();
        var file = Run(dir);
        var mine = dir.File("mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "thesis.tex"), "years of work");

        var refused = Cli.Run("run", file, "--output", mine, "--overwrite", "--quiet");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(OutputManifest.FileName, refused.Err);
        Assert.Contains("--output", refused.Err);
        Assert.True(File.Exists(Path.Combine(mine, "thesis.tex")));

        var written = dir.File("written");
        Assert.Equal(0, Cli.Run("run", file, "--output", written, "--quiet").ExitCode);
        var manifest = JObject.Parse(File.ReadAllText(Path.Combine(written, OutputManifest.FileName)));
        Assert.Equal("run", (string?)manifest["command"]);
        Assert.NotNull(manifest["time"]);
        Assert.NotNull(manifest["version"]);
        Assert.False(File.Exists(Path.Combine(written, StagingMarker.FileName)), "the owner marker belongs to staging only");
        var again = Cli.Run("run", file, "--output", written, "--overwrite", "--quiet");
        Assert.True(again.ExitCode == 0, again.Err);
    }

    static void FakeStaging(string folder, int pid, DateTime started)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "samples.npy"), "half written");
        File.WriteAllText(Path.Combine(folder, StagingMarker.FileName), new JObject
        {
            ["pid"] = pid, ["started"] = started.ToUniversalTime().ToString("o"), ["host"] = Environment.MachineName,
        }.ToString());
    }

    [Fact]
    public void StaleStagingFoldersOfKilledRunsAreRemovedAndLiveOnesKept()
    {
        using var dir = new TempFolder();
        var file = Run(dir);
        var dead = dir.File(".out.partial-0123456789abcdef0123456789abcdef");
        var live = dir.File(".other.partial-fedcba9876543210fedcba9876543210");
        var foreign = dir.File(".third.partial-00000000000000000000000000000000");
        FakeStaging(dead, int.MaxValue - 1, DateTime.UtcNow.AddHours(-1)); // no process has that id
        using (var self = Process.GetCurrentProcess()) FakeStaging(live, self.Id, self.StartTime);
        Directory.CreateDirectory(foreign); // no marker: not known to be this program's

        var r = Cli.Run("run", file, "--output", dir.File("out"), "--quiet");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.False(Directory.Exists(dead));
        Assert.Contains($"removed stale staging folder {dead} left by an interrupted run", r.Err);
        Assert.True(Directory.Exists(live), "the staging folder of a running process must stay");
        Assert.True(Directory.Exists(foreign), "a folder without a marker may not be ours");
    }

    [Fact]
    public void AReusedProcessIdDoesNotKeepAStaleFolder()
    {
        using var dir = new TempFolder();
        var folder = dir.File(".x.partial-1");
        using (var self = Process.GetCurrentProcess()) FakeStaging(folder, self.Id, self.StartTime.AddMinutes(-5));
        Assert.True(StagingMarker.IsStale(folder));
    }

    [Fact]
    public void AnEmptyOutputOptionIsAnInputError()
    {
        using var dir = new TempFolder();
        var r = Cli.Run("run", Run(dir), "--output", "", "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--output", r.Err);
        Assert.Contains("empty", r.Err);
    }

    [Fact]
    public void ATooLongNameIsRefusedBeforeSamplingAndLeavesNoFolders()
    {
        using var dir = new TempFolder();
        var runs = dir.File("runs");
        var r = Cli.Run("run", Run(dir), "--output", Path.Combine(runs, new string('x', 300)), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("255", r.Err);
        Assert.False(Directory.Exists(runs), "a refused run must not leave an empty parent behind");

        // Long enough for the file system, too long for its staging folder's name beside it.
        var edge = Cli.Run("run", Run(dir), "--output", Path.Combine(runs, new string('y', 240)), "--quiet");
        Assert.Equal(2, edge.ExitCode);
        Assert.False(Directory.Exists(runs));
    }

    [Fact]
    public void ANulInTheDirectoryIsALocatedError()
    {
        using var dir = new TempFolder();
        var r = Cli.Run("validate", Run(dir, ",\n  \"outputs\": { \"directory\": \"out\\u0000put\" }"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.outputs.directory (line 7", r.Err);
        Assert.Contains("control character", r.Err);
    }

    [Fact]
    public void AParentThatIsAFileIsAnInputError()
    {
        using var dir = new TempFolder();
        var blocker = dir.Write("blocker", "a file");
        var r = Cli.Run("run", Run(dir), "--output", Path.Combine(blocker, "out"), "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is a file", r.Err);
    }

    [Fact]
    public void ValidateReportsAnExistingFolderAndNamesTheSetting()
    {
        using var dir = new TempFolder();
        var taken = dir.File("taken");
        Directory.CreateDirectory(taken);
        File.WriteAllText(Path.Combine(taken, "x"), "");
        var file = Run(dir, $",\n  \"outputs\": {{ \"directory\": \"{taken.Replace("\\", "/")}\" }}");

        var byKey = Cli.Run("validate", file);
        Assert.Equal(2, byKey.ExitCode);
        Assert.Contains("$.outputs.directory (line 7", byKey.Err);
        Assert.Contains("--overwrite", byKey.Err);

        var byOption = Cli.Run("validate", Run(dir), "--output", taken);
        Assert.Equal(2, byOption.ExitCode);
        Assert.StartsWith("error: --output", byOption.Err);
        Assert.Equal(0, Cli.Run("validate", Run(dir), "--output", dir.File("free")).ExitCode);
    }

    [Fact]
    public void TrainRefusesAFolderItDidNotWrite()
    {
        using var dir = new TempFolder();
        var mine = dir.File("mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "notes.txt"), "mine");
        var file = dir.Write("lenet.train.json", "{ \"network\": \"mnist-lenet\", \"steps\": 1 }");
        foreach (var flags in new[] { new[] { "--quiet" }, ["--quiet", "--overwrite"] })
        {
            var r = Cli.Run(["train", file, "--output", mine, .. flags]);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains(OutputManifest.FileName, r.Err);
        }
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(mine).Select(Path.GetFileName));
    }
}
