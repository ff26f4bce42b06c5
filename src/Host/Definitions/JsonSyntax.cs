namespace Pipeline.Host.Definitions;

/// <summary>
/// Checks that a text is standard JSON (RFC 8259) plus the two things people write in hand-edited files: // and /* */
/// comments and a trailing comma before ] or }. Newtonsoft's reader accepts much more (single quotes, unquoted keys,
/// 0x10, NaN, raw tabs in strings), and a typo it accepts becomes a value nobody meant, so this runs first.
/// </summary>
public sealed class JsonSyntax
{
    /// <summary>The format in one line, for error messages and the README.</summary>
    public const string Format = "definitions are standard JSON (RFC 8259) plus // and /* */ comments and trailing commas";

    /// <summary>Nesting beyond this is refused rather than risking the stack.</summary>
    const int MaxDepth = 256;

    readonly string text;
    int pos, line = 1, lineStart;

    JsonSyntax(string text) => this.text = text;

    /// <summary>A place and what is wrong there.</summary>
    public sealed record Problem(int Line, int Column, string Message);

    /// <summary>The first problem in <paramref name="text"/>, or null when it is in the format.</summary>
    public static Problem? Check(string text)
    {
        var s = new JsonSyntax(text);
        try
        {
            if (s.Peek() == '\uFEFF') s.pos++;
            s.Value(0);
            s.Space();
            if (s.pos < text.Length) s.Fail($"found {s.Found()} after the end of the document; a file holds one JSON value");
            return null;
        }
        catch (SyntaxError e)
        {
            return e.Problem;
        }
    }

    sealed class SyntaxError(Problem problem) : Exception(problem.Message)
    {
        public Problem Problem { get; } = problem;
    }

    char Peek(int ahead = 0) => pos + ahead < text.Length ? text[pos + ahead] : '\0';
    bool AtEnd => pos >= text.Length;

    void Fail(string message) => throw new SyntaxError(new Problem(line, pos - lineStart + 1, message));

    string Found()
    {
        if (AtEnd) return "the end of the text";
        char c = text[pos];
        if (c < ' ' || c == '\u007f') return $"the control character U+{(int)c:X4}";
        int end = pos;
        while (end < text.Length && end - pos < 12 && (char.IsLetterOrDigit(text[end]) || text[end] is '_' or '$' or '.' or '+' or '-')) end++;
        return end > pos + 1 ? $"'{text[pos..end]}'" : $"'{c}'";
    }

    /// <summary>Skips whitespace (space, tab, line breaks) and comments.</summary>
    void Space()
    {
        while (!AtEnd)
        {
            char c = text[pos];
            if (c == '\n') { pos++; line++; lineStart = pos; }
            else if (c is ' ' or '\t' or '\r') pos++;
            else if (c == '/' && Peek(1) == '/') { while (!AtEnd && text[pos] != '\n') pos++; }
            else if (c == '/' && Peek(1) == '*')
            {
                int startLine = line, startColumn = pos - lineStart + 1;
                pos += 2;
                while (!(Peek() == '*' && Peek(1) == '/'))
                {
                    if (AtEnd) throw new SyntaxError(new Problem(startLine, startColumn, "a /* comment is not closed with */"));
                    if (text[pos] == '\n') { line++; lineStart = pos + 1; }
                    pos++;
                }
                pos += 2;
            }
            else return;
        }
    }

    void Value(int depth)
    {
        Space();
        if (depth > MaxDepth) Fail($"nesting is deeper than {MaxDepth} levels");
        char c = Peek();
        if (AtEnd) Fail("the text ends where a value was expected");
        else if (c == '{') Object(depth);
        else if (c == '[') Array(depth);
        else if (c == '"') String();
        else if (c == '-' || char.IsAsciiDigit(c)) Number();
        else if (char.IsAsciiLetter(c) || c is '_' or '$') Word();
        else if (c == '\'') Fail("found a single-quoted string; JSON strings are in double quotes (\"...\")");
        else Fail($"found {Found()} where a value was expected; a value is an object, an array, a \"string\", a number, true, false or null");
    }

    void Object(int depth)
    {
        pos++;
        Space();
        if (Peek() == '}') { pos++; return; }
        while (true)
        {
            Space();
            char c = Peek();
            if (c == '"') String();
            else if (c == '\'') Fail("found a single-quoted key; keys are strings in double quotes (\"key\")");
            else if (char.IsAsciiLetter(c) || c is '_' or '$') Fail($"found the unquoted key {Found()}; keys are strings in double quotes (\"key\")");
            else Fail($"found {Found()} where a key in double quotes was expected");
            Space();
            if (Peek() != ':') Fail($"found {Found()} after a key; a ':' and the value follow it");
            pos++;
            Value(depth + 1);
            Space();
            if (Peek() == '}') { pos++; return; }
            if (Peek() != ',') Fail($"found {Found()} after a value in an object; expected ',' or '}}'");
            pos++;
            Space();
            if (Peek() == '}') { pos++; return; } // a trailing comma is allowed
        }
    }

    void Array(int depth)
    {
        pos++;
        Space();
        if (Peek() == ']') { pos++; return; }
        while (true)
        {
            Value(depth + 1);
            Space();
            if (Peek() == ']') { pos++; return; }
            if (Peek() != ',') Fail($"found {Found()} after a value in an array; expected ',' or ']'");
            pos++;
            Space();
            if (Peek() == ']') { pos++; return; } // a trailing comma is allowed
        }
    }

    void String()
    {
        pos++;
        while (true)
        {
            if (AtEnd) Fail("the text ends inside a string; close it with \"");
            char c = text[pos];
            if (c == '"') { pos++; return; }
            if (c < ' ')
                Fail($"found the control character U+{(int)c:X4} inside a string; write it as an escape (\\t, \\n, \\u0009), and close strings on the line they start");
            if (c == '\\')
            {
                char e = Peek(1);
                if (e is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't') { pos += 2; continue; }
                if (e == 'u')
                {
                    for (int i = 2; i < 6; i++)
                        if (!char.IsAsciiHexDigit(Peek(i))) { pos += i; Fail("a \\u escape takes four hexadecimal digits (\\u00e9)"); }
                    pos += 6;
                    continue;
                }
                Fail($"'\\{(pos + 1 < text.Length ? e.ToString() : "")}' is not a JSON escape; the escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
            }
            pos++;
        }
    }

    void Number()
    {
        int start = pos;
        if (Peek() == '-') pos++;
        if (Peek() == '0')
        {
            pos++;
            if (Peek() is 'x' or 'X') { pos = start; Fail($"found the hexadecimal number {Found()}; JSON numbers are decimal"); }
            if (char.IsAsciiDigit(Peek())) { pos = start; Fail($"found {Found()}: JSON numbers have no leading zeros"); }
        }
        else if (char.IsAsciiDigit(Peek())) { while (char.IsAsciiDigit(Peek())) pos++; }
        else if (Peek() == 'I') { pos = start; Fail($"found {Found()}; JSON has no infinite numbers (write a large finite number, or null where allowed)"); }
        else Fail($"found {Found()} after '-'; a digit follows the minus sign");
        if (Peek() == '.')
        {
            pos++;
            if (!char.IsAsciiDigit(Peek())) Fail("a digit must follow the decimal point (1.0, not 1.)");
            while (char.IsAsciiDigit(Peek())) pos++;
        }
        if (Peek() is 'e' or 'E')
        {
            pos++;
            if (Peek() is '+' or '-') pos++;
            if (!char.IsAsciiDigit(Peek())) Fail("an exponent needs digits (1e-3)");
            while (char.IsAsciiDigit(Peek())) pos++;
        }
        if (char.IsAsciiLetterOrDigit(Peek()) || Peek() is '_' or '.')
        {
            string number = text[start..pos];
            Fail($"found '{Peek()}' right after the number {number}; JSON numbers are decimal (12, -0.5, 1e-3)");
        }
    }

    void Word()
    {
        int start = pos;
        while (char.IsAsciiLetterOrDigit(Peek()) || Peek() is '_' or '$') pos++;
        string word = text[start..pos];
        if (word is "true" or "false" or "null") return;
        pos = start;
        if (word is "NaN" or "Infinity")
            Fail($"found {word}; JSON has no {word} (write a finite number, or null where allowed)");
        Fail($"found the bare word '{word}'; strings are in double quotes, and the only bare words are true, false and null");
    }
}
