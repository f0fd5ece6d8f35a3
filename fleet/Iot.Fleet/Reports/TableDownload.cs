using System.Data;
using System.Globalization;
using System.Text;
using MiniExcelLibs;

namespace Iot.Fleet.Reports;

/// <summary>One table of a download: a sheet of the workbook, a section of the CSV. Headers are the bureau's words.</summary>
public sealed record ReportTable(string Sheet, IReadOnlyList<string> Headers, IReadOnlyList<object?[]> Rows);

/// <summary>
/// Tables as downloads: an xlsx workbook with one sheet per table, or CSV (UTF-8 with a byte-order mark, so Excel shows the
/// Chinese headers; tables one after another, each under its name, a blank line between). Numbers stay numbers; a text a
/// person typed (a party's name, a note) that starts like a formula is written with a leading apostrophe in the CSV, so a
/// spreadsheet shows it rather than running it.
/// </summary>
public static class TableDownload
{
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public const string CsvType = "text/csv; charset=utf-8";

    public static byte[] Xlsx(IReadOnlyList<ReportTable> tables)
    {
        var sheets = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            // A DataTable keeps the headers of an empty table (a list of rows would have none to show).
            var data = new DataTable(table.Sheet);
            foreach (var header in table.Headers) data.Columns.Add(header, typeof(object));
            foreach (var row in table.Rows) data.Rows.Add(row.Select(v => v ?? DBNull.Value).ToArray());
            sheets[table.Sheet] = data;
        }
        using var stream = new MemoryStream();
        stream.SaveAs(sheets);
        return stream.ToArray();
    }

    public static byte[] Csv(IReadOnlyList<ReportTable> tables)
    {
        var csv = new StringBuilder();
        for (var i = 0; i < tables.Count; i++)
        {
            if (tables.Count > 1)
            {
                if (i > 0) csv.Append("\r\n");
                csv.Append(Field(tables[i].Sheet)).Append("\r\n");
            }
            csv.AppendJoin(',', tables[i].Headers.Select(Field)).Append("\r\n");
            foreach (var row in tables[i].Rows) csv.AppendJoin(',', row.Select(Field)).Append("\r\n");
        }
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    /// <summary>One CSV field (RFC 4180): numbers invariant, text quoted when it must be, formulas defused.</summary>
    private static string Field(object? value)
    {
        var text = value switch
        {
            null => "",
            double d => d.ToString("0.####", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        if (value is string && text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r') text = "'" + text;
        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }
}
