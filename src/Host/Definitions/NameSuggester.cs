namespace Pipeline.Host.Definitions;

/// <summary>"Did you mean" suggestions by edit distance.</summary>
public static class NameSuggester
{
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue, bestPrefix = -1;
        var lower = name.ToLowerInvariant();
        foreach (var c in candidates)
        {
            var other = c.ToLowerInvariant();
            int d = Distance(lower, other);
            // Between equally distant names, a typo more likely keeps the start of the word.
            int prefix = CommonPrefix(lower, other);
            if (d < bestDistance || (d == bestDistance && prefix > bestPrefix)) { bestDistance = d; bestPrefix = prefix; best = c; }
        }
        return best is not null && bestDistance <= Math.Max(2, (name.Length + 1) / 2) ? best : null;
    }

    /// <summary>" Did you mean 'x'?" or empty.</summary>
    public static string Hint(string name, IEnumerable<string> candidates) =>
        Closest(name, candidates) is { } c ? $" Did you mean '{c}'?" : "";

    static int CommonPrefix(string a, string b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        return n;
    }

    static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
