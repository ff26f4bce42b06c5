using System.Globalization;

namespace Pipeline.Host.Training;

/// <summary>
/// log.csv in the output folder: step, mean loss since the previous row, learning rate, total seconds, and the
/// means of any further quantities a method reports (a GAN's discriminator loss and logits).
/// </summary>
public sealed class TrainingLog(string path, IReadOnlyList<string>? extra = null)
{
    readonly string Header = string.Join(',', ["step", "loss", "learningRate", "seconds", .. extra ?? []]);

    /// <summary>Keeps the rows up to <paramref name="step"/> (those a resumed run has not redone), or starts the file.</summary>
    public void Truncate(int step)
    {
        var kept = File.Exists(path)
            ? File.ReadAllLines(path).Skip(1).Where(l => int.TryParse(l.Split(',')[0], CultureInfo.InvariantCulture, out var s) && s <= step).ToList()
            : [];
        File.WriteAllLines(path, [Header, .. kept]);
    }

    public void Append(int step, double loss, double learningRate, double seconds, params double[] values) =>
        File.AppendAllText(path, string.Create(CultureInfo.InvariantCulture,
            $"{step},{loss:R},{learningRate:R},{seconds:0.###}{string.Concat(values.Select(v => string.Create(CultureInfo.InvariantCulture, $",{v:R}")))}\n"));

    /// <summary>(step, loss) rows of a log file.</summary>
    public static IReadOnlyList<(int Step, double Loss)> Read(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split(','))
            .Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToList();
}
