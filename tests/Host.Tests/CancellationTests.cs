using System.Diagnostics;
using Pipeline.Host;
using Pipeline.Host.Definitions;
using Pipeline.Host.Outputs;
using Pipeline.Host.Running;
using Pipeline.Tests.Support;

namespace Pipeline.Tests;

/// <summary>
/// Cancelling ends a run in every phase (sampling, metrics, writing) with nothing written: no output folder and no
/// staging folder beside it.
/// </summary>
public class CancellationTests
{
    static readonly PipelineHost Host = new();

    static void AssertNothingWritten(TempFolder dir)
    {
        Assert.False(Directory.Exists(dir.File("out")), "no output folder may be left");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path), p => Path.GetFileName(p).StartsWith('.'));
    }

    [Fact]
    public void CancelDuringTheLastStepStopsTheRun()
    {
        using var dir = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var definition = PipelineDefinition.Parse(Definitions.Gmm(steps: 5), dir.Path);
        // The last progress report comes after the solver's last step: nothing in the solver sees this cancel.
        Assert.ThrowsAny<OperationCanceledException>(() => Host.Run(definition, dir.File("out"),
            progress: p => { if (p.Step == p.Steps && p.Batch == p.Batches - 1) cancel.Cancel(); }, cancellation: cancel.Token));
        AssertNothingWritten(dir);
    }

    [Fact]
    public void MetricScoringHonoursTheToken()
    {
        using var dir = new TempFolder();
        var json = Definitions.Gmm(steps: 5, extra: ",\n\"metrics\": [{ \"type\": \"reference-ode-error\", \"steps\": 20 }, { \"type\": \"gmm-distance\" }]");
        using var pipeline = Host.Compose(PipelineDefinition.Parse(json, dir.Path));
        using var result = Host.Sample(pipeline);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => MetricScores.Score(pipeline, result, cancellation: cancel.Token));
        Assert.Equal(2, MetricScores.Score(pipeline, result).Count);
    }

    [Fact]
    public void AMetricsBatchLoopStopsWhenCancelled()
    {
        using var dir = new TempFolder();
        var json = Definitions.Gmm(steps: 5, extra: ",\n\"metrics\": [{ \"type\": \"reference-ode-error\", \"steps\": 20, \"batchSize\": 1 }]");
        using var pipeline = Host.Compose(PipelineDefinition.Parse(json, dir.Path));
        using var result = Host.Sample(pipeline);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var context = new Metrics.MetricContext(result.Samples, result.Initial, pipeline.Denoiser, pipeline.Times, null) { Cancellation = cancel.Token };
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Metrics[0].Score(context));
    }

    [Fact]
    public void WritingHonoursTheTokenAndLeavesNoFolder()
    {
        using var dir = new TempFolder();
        using var pipeline = Host.Compose(PipelineDefinition.Parse(Definitions.Gmm(steps: 5), dir.Path));
        using var result = Host.Sample(pipeline);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        using (var folder = OutputFolder.Begin(OutputLocation.Resolve(dir.File("out"), null, "$.outputs.directory", null, "unused"), overwrite: false, "run"))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => RunWriter.Write(folder, pipeline, result, TimeSpan.Zero, cancellation: cancel.Token));
        }
        AssertNothingWritten(dir);
    }

    [Fact]
    public void ALargeArrayWriteStopsWhenCancelled()
    {
        using var dir = new TempFolder();
        using var big = TorchSharp.torch.zeros(4 << 20, TorchSharp.torch.ScalarType.Float32);
        using var cancel = new CancellationTokenSource();
        using var stream = new CancellingStream(File.Create(dir.File("big.npy")), cancel, after: 1 << 22);
        Assert.ThrowsAny<OperationCanceledException>(() => IO.NpyFile.Write(stream, big, cancel.Token));
        Assert.True(stream.Length < 16L << 20, "the write must stop soon after the cancel");
    }

    /// <summary>Cancels once <paramref name="after"/> bytes were written, as Ctrl-C in the middle of a large file would.</summary>
    sealed class CancellingStream(Stream inner, CancellationTokenSource cancel, long after) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            if (inner.Length >= after) cancel.Cancel();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public async Task SigintDuringALongMetricExitsCancelledWithNothingWritten()
    {
        if (OperatingSystem.IsWindows()) return; // SIGINT is sent with kill(1)
        using var dir = new TempFolder();
        // Sampling is short; the reference metric then takes many seconds, the phase Ctrl-C used to be ignored in.
        var file = dir.Write("long.json", Definitions.Gmm(steps: 3, sampling: "\"count\": 2000, \"seed\": 1",
            extra: ",\n\"metrics\": [{ \"type\": \"reference-ode-error\", \"steps\": 100000, \"batchSize\": 1 }]"));
        // Through env --default-signal: a test run started in the background by a non-interactive shell ("dotnet test &")
        // inherits SIGINT as ignored, and so would the run, which then never sees the signal (POSIX keeps ignored
        // signals across exec). The run itself keeps an inherited ignore, as programs started that way should.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir.Path };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "Pipeline.Cli.dll"), "run", file, "--output", dir.File("out") }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var err = new System.Text.StringBuilder();
        // The progress lines end with the one at 100%: sampling is done and the metric is running.
        string? line;
        while ((line = await process.StandardError.ReadLineAsync()) is not null)
        {
            err.AppendLine(line);
            if (line.Contains("100.0%")) break;
        }
        await Task.Delay(1000);
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) await kill.WaitForExitAsync();
        var rest = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the run did not stop after SIGINT; its error output:\n{err}{await rest}");
        }
        err.Append(await rest);
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {err}{await stdout}");
        Assert.Contains("cancelled; nothing was written", err.ToString());
        AssertNothingWritten(dir);
    }
}
