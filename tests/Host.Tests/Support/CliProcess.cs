using System.Diagnostics;

namespace Pipeline.Tests.Support;

/// <summary>
/// Runs the built command line as a separate process, for cases that could take the whole process down
/// (a native crash would otherwise kill the test run instead of failing one test).
/// </summary>
public static class CliProcess
{
    public static Cli.Outcome Run(string workingDirectory, params string[] args)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Pipeline.Cli.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add(host);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEnd();
        if (!proc.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            proc.Kill(entireProcessTree: true);
            throw new TimeoutException($"pipeline {string.Join(' ', args)} did not finish");
        }
        return new Cli.Outcome(proc.ExitCode, stdout.Result, stderr);
    }
}
