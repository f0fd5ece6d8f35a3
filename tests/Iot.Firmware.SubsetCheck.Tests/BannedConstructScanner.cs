using System.Text;
using System.Text.RegularExpressions;

namespace Iot.Firmware.SubsetCheck.Tests;

/// <summary>One banned construct found in a source file.</summary>
public sealed record Finding(string File, int Line, string Rule, string Text)
{
    public override string ToString() => $"{File}:{Line}: {Rule}: {Text.Trim()}";
}

/// <summary>
/// Scans C# source for constructs that .NET nanoFramework cannot run or that the firmware must not use,
/// even where they would compile against the stand-in corlib. Comments are ignored; string contents are
/// ignored except by the format-string rules. A line scanner, not a parser: it errs towards reporting.
/// </summary>
public static partial class BannedConstructScanner
{
    private static readonly (string Rule, Regex Pattern, bool OnStrings)[] Rules =
    [
        ("async/await", new(@"\basync\b|\bawait\b"), false),
        ("record type", new(@"\brecord\s+(class\s+|struct\s+)?[A-Za-z_]\w*\s*[({:;]"), false),
        ("LINQ", new(@"^\s*using\s+(static\s+)?System\.Linq\b|\bfrom\s+\w+\s+in\s+\w+.*\b(select|where|orderby)\b"), false),
        ("tuple type", new(@"\(\s*[A-Za-z_][\w.]*(\[\])?\s+[A-Za-z_]\w*\s*,\s*[A-Za-z_][\w.]*(\[\])?\s+[A-Za-z_]\w*[^()]*\)\s+[A-Za-z_]\w*\s*[({=;]|\bValueTuple\b|\bTuple\s*<"), false),
        ("tuple literal or deconstruction", new(@"\bvar\s*\(|(=|\breturn)\s*\(\s*[^()]+,[^()]+\)\s*;|^\s*\(\s*\w+\s*,\s*\w+[^()]*\)\s*=[^=]"), false),
        ("multidimensional array", new(@"\[\s*,+\s*\]|\bnew\s+\w+\s*\[[^\]\[]*,[^\]\[]*\]"), false),
        ("Enum reflection", new(@"\bEnum\s*\.\s*(GetValues|GetNames|GetName|Parse|TryParse|IsDefined|Format|GetUnderlyingType)\b"), false),
        ("stackalloc", new(@"\bstackalloc\b"), false),
        ("Span/Memory", new(@"\b(ReadOnly)?(Span|Memory)\s*<"), false),
        ("generic collection or delegate", new(@"\b(List|Dictionary|HashSet|Queue|Stack|IEnumerable|IList|ICollection|Func|Action|Nullable|Lazy|Task)\s*<"), false),
        ("nullable value type", new(@"\b(bool|byte|sbyte|char|short|ushort|int|uint|long|ulong|float|double|decimal|DateTime|TimeSpan)\?(?=[\s,)>\[])"), false),
        ("string interpolation", new(@"\$@?""|@\$"""), false),
        // nanoFramework's string is not enumerable on the device: index it with a for loop. "foreach (char" is the
        // form the firmware would write; a char[] loop is reported too (errs towards reporting).
        ("foreach over a string", new(@"\bforeach\s*\(\s*char\s+\w+\s+in\b|\bforeach\s*\([^)]*\bin\s*""|\.ToCharArray\s*\(\s*\)\s*\)"), false),
        // Reflection needs the metadata a normal build strips; only the Loader (a reflection build) may use it.
        (ReflectionRule, new(@"^\s*using\s+System\.Reflection\b|\bSystem\.Reflection\.|\bAssembly\s*\.\s*(Load|GetExecutingAssembly)\b|\.\s*(GetType|GetMethods?|GetFields?|GetProperties|GetProperty|GetConstructors?|GetCustomAttributes|Invoke)\s*\(|\bActivator\s*\."), false),
        ("custom numeric format string", new(@"\.ToString\s*\(\s*""(?![A-Za-z]\d{0,2}"")[^""]*""|\{\d+\s*(,\s*-?\d+\s*)?:(?![A-Za-z]\d{0,2}\})[^}]*\}"), true),
    ];

    public const string ReflectionRule = "reflection outside a reflection build";

    /// <summary>Folders (first path segment under a scanned project) built with reflection metadata: the Loader.</summary>
    public static readonly string[] ReflectionBuilds = ["Loader"];

    /// <summary>Scans every .cs file under root (bin and obj excluded).</summary>
    public static List<Finding> ScanTree(string root)
    {
        var findings = new List<Finding>();
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Order())
        {
            var rel = Path.GetRelativePath(root, path);
            var parts = rel.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("bin") || parts.Contains("obj")) continue;
            var found = Scan(rel, File.ReadAllText(path));
            if (ReflectionBuilds.Contains(parts[0])) found.RemoveAll(f => f.Rule == ReflectionRule);
            findings.AddRange(found);
        }
        return findings;
    }

    /// <summary>Scans one source text.</summary>
    public static List<Finding> Scan(string fileName, string source)
    {
        var (code, codeWithStrings) = Split(source);
        var codeLines = code.Split('\n');
        var stringLines = codeWithStrings.Split('\n');
        var rawLines = source.Split('\n');
        var findings = new List<Finding>();
        for (int i = 0; i < codeLines.Length; i++)
        {
            foreach (var (rule, pattern, onStrings) in Rules)
            {
                if (pattern.IsMatch(onStrings ? stringLines[i] : codeLines[i])) findings.Add(new Finding(fileName, i + 1, rule, rawLines[i]));
            }
        }
        return findings;
    }

    /// <summary>
    /// Two views of the source with the same line structure: code with comments and string/char contents
    /// blanked, and code with only comments blanked.
    /// </summary>
    private static (string Code, string CodeWithStrings) Split(string s)
    {
        var code = new StringBuilder(s.Length);
        var withStrings = new StringBuilder(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            char next = i + 1 < s.Length ? s[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                while (i < s.Length && s[i] != '\n') { Blank(code, withStrings, s[i]); i++; }
            }
            else if (c == '/' && next == '*')
            {
                Blank(code, withStrings, s[i++]);
                Blank(code, withStrings, s[i++]);
                while (i < s.Length && !(s[i] == '*' && i + 1 < s.Length && s[i + 1] == '/')) { Blank(code, withStrings, s[i]); i++; }
                if (i < s.Length) { Blank(code, withStrings, s[i++]); Blank(code, withStrings, s[i++]); }
            }
            else if (c == '"' || c == '\'')
            {
                bool verbatim = i > 0 && s[i - 1] == '@' || i > 1 && s[i - 2] == '@' && s[i - 1] == '$';
                char quote = c;
                Keep(code, withStrings, s[i++]);
                while (i < s.Length)
                {
                    char d = s[i];
                    if (!verbatim && d == '\\' && i + 1 < s.Length)
                    {
                        code.Append("  ");
                        withStrings.Append(d).Append(s[i + 1]);
                        i += 2;
                        continue;
                    }
                    if (d == quote)
                    {
                        if (verbatim && i + 1 < s.Length && s[i + 1] == quote)
                        {
                            code.Append("  ");
                            withStrings.Append(d).Append(d);
                            i += 2;
                            continue;
                        }
                        Keep(code, withStrings, s[i++]);
                        break;
                    }
                    if (d == '\n' && !verbatim) break;
                    code.Append(d == '\n' ? '\n' : ' ');
                    withStrings.Append(d);
                    i++;
                }
            }
            else
            {
                Keep(code, withStrings, s[i++]);
            }
        }
        return (code.ToString(), withStrings.ToString());
    }

    private static void Keep(StringBuilder a, StringBuilder b, char c)
    {
        a.Append(c);
        b.Append(c);
    }

    private static void Blank(StringBuilder a, StringBuilder b, char c)
    {
        char blank = c == '\n' ? '\n' : ' ';
        a.Append(blank);
        b.Append(blank);
    }
}
