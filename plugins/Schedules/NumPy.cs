namespace Pipeline.Plugins.Schedules;

/// <summary>
/// The few NumPy array builders whose floating-point results the Python spacing rules depend on,
/// evaluated the way NumPy does so that rounded indices agree bit for bit.
/// </summary>
public static class NumPy
{
    /// <summary>np.linspace(start, stop, num): start + i * step, the last value set to stop exactly.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        if (num < 1) return [];
        var y = new double[num];
        if (num == 1)
        {
            y[0] = start;
            return y;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[^1] = stop;
        return y;
    }

    /// <summary>
    /// np.arange(start, stop, step) for floats: length ceil((stop - start) / step); values start, start + step,
    /// then start + i * delta with delta = (start + step) - start, as NumPy's fill loop computes them.
    /// </summary>
    public static double[] Arange(double start, double stop, double step)
    {
        double count = Math.Ceiling((stop - start) / step);
        if (!(count > 0)) return [];
        var y = new double[checked((int)count)];
        y[0] = start;
        if (y.Length > 1) y[1] = start + step;
        double delta = y.Length > 1 ? y[1] - start : step;
        for (int i = 2; i < y.Length; i++) y[i] = start + i * delta;
        return y;
    }

    /// <summary>np.round: to nearest, ties to even.</summary>
    public static double Round(double x) => Math.Round(x, MidpointRounding.ToEven);
}
