namespace Pipeline.Tests.Support;

/// <summary>Runs the command line in-process and captures what it prints.</summary>
public static class Cli
{
    public sealed record Outcome(int ExitCode, string Out, string Err);

    public static Outcome Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Pipeline.Host.Cli.Program.Run(args, stdout, stderr);
        return new Outcome(code, stdout.ToString(), stderr.ToString());
    }
}
