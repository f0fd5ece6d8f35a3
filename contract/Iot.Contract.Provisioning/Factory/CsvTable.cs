using System.Text;

namespace Iot.Contract.Factory;

/// <summary>One record of a CSV file; <see cref="Row"/> is the line it starts on (the header is row 1).</summary>
public sealed record CsvRow(int Row, IReadOnlyList<string> Fields);

/// <summary>A problem with one row of an input file, named by file, row and column so it can be fixed.</summary>
public sealed record RowError(string File, int Row, string? Column, string Message)
{
    public override string ToString() => Column is null ? $"{File} row {Row}: {Message}" : $"{File} row {Row}, column {Column}: {Message}";
}

/// <summary>
/// A CSV file as RFC 4180 writes it (comma, double quotes, "" inside quotes, CRLF or LF), UTF-8 with or
/// without the byte-order mark that spreadsheet programs add. The first record is the header.
/// </summary>
public sealed class CsvTable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private CsvTable(string file, IReadOnlyList<string> header, IReadOnlyList<CsvRow> rows)
    {
        File = file;
        Header = header;
        Rows = rows;
    }

    public string File { get; }
    public IReadOnlyList<string> Header { get; }
    public IReadOnlyList<CsvRow> Rows { get; }

    /// <summary>Reads a file from disk; a file that is not UTF-8 is refused with a hint, not misread.</summary>
    public static CsvTable Load(string path)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(System.IO.File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException)
        {
            throw new CsvFormatException(Path.GetFileName(path), 1, "the file is not UTF-8: save it as \"CSV UTF-8\"");
        }
        return Parse(text, Path.GetFileName(path));
    }

    public static CsvTable Parse(string text, string file)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var records = new List<CsvRow>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;
        var fieldStarted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    fieldStarted = true;
                    break;
            }
        }
        if (quoted) throw new CsvFormatException(file, recordLine, "a quoted field is never closed");
        EndRecord();

        if (records.Count == 0) throw new CsvFormatException(file, 1, "the file is empty: the first row must name the columns");
        var header = records[0].Fields.Select(h => h.Trim().ToLowerInvariant()).ToList();
        return new CsvTable(file, header, records.Skip(1).ToList());

        void EndRecord()
        {
            if (fieldStarted || field.Length > 0 || fields.Count > 0)
            {
                fields.Add(field.ToString());
                // A line of nothing but commas is an empty spreadsheet row: skip it.
                if (fields.Any(f => f.Trim().Length > 0)) records.Add(new CsvRow(recordLine, fields.ToList()));
            }
            fields.Clear();
            field.Clear();
            fieldStarted = false;
        }
    }

    /// <summary>Errors for columns that are missing or not known; empty when the header is usable.</summary>
    public IReadOnlyList<RowError> CheckHeader(IReadOnlyCollection<string> required, IReadOnlyCollection<string> optional)
    {
        var errors = new List<RowError>();
        foreach (var column in required.Where(c => !Header.Contains(c)))
            errors.Add(new RowError(File, 1, column, "required column is missing"));
        foreach (var column in Header.Where(c => !required.Contains(c) && !optional.Contains(c)))
            errors.Add(new RowError(File, 1, column, $"unknown column (known: {string.Join(", ", required.Concat(optional))})"));
        foreach (var column in Header.GroupBy(c => c).Where(g => g.Count() > 1))
            errors.Add(new RowError(File, 1, column.Key, "column appears twice"));
        return errors;
    }

    /// <summary>The trimmed value of a column in a row; empty when the column or the field is absent.</summary>
    public string Value(CsvRow row, string column)
    {
        var index = Header.IndexOf(column);
        return index >= 0 && index < row.Fields.Count ? row.Fields[index].Trim() : "";
    }

    /// <summary>Writes one record, quoting fields that need it.</summary>
    public static string FormatRecord(IEnumerable<string> fields) =>
        string.Join(',', fields.Select(f => f.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{f.Replace("\"", "\"\"")}\"" : f));
}

/// <summary>A CSV file that cannot be read at all (not a problem of one field).</summary>
public sealed class CsvFormatException(string file, int row, string message) : Exception($"{file} row {row}: {message}")
{
    public RowError Error { get; } = new(file, row, null, message);
}

internal static class ListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }
}
