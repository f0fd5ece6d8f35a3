using Iot.Contract.Factory;

namespace Iot.Provisioning.Tests;

public sealed class CsvTableTests
{
    [Fact]
    public void Reads_quotes_commas_line_breaks_bom_and_crlf()
    {
        var table = CsvTable.Parse("\uFEFFId, Name ,kind\r\nA1,\"Wang's, \"\"Noodles\"\"\",fume\r\n\r\nA2,\"two\nlines\",dust\r\n,,\r\nA3,last,noise", "x.csv");
        Assert.Equal(["id", "name", "kind"], table.Header);
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("Wang's, \"Noodles\"", table.Value(table.Rows[0], "name"));
        Assert.Equal(2, table.Rows[0].Row);
        Assert.Equal("two\nlines", table.Value(table.Rows[1], "name"));
        Assert.Equal(4, table.Rows[1].Row);
        Assert.Equal(7, table.Rows[2].Row);
    }

    [Fact]
    public void Writes_what_it_reads()
    {
        var fields = new[] { "plain", "a,b", "say \"hi\"", "x\ny" };
        var table = CsvTable.Parse("a,b,c,d\n" + CsvTable.FormatRecord(fields), "x.csv");
        Assert.Equal(fields, table.Rows[0].Fields);
    }

    [Fact]
    public void An_unclosed_quote_names_its_row()
    {
        var e = Assert.Throws<CsvFormatException>(() => CsvTable.Parse("a,b\n1,2\n3,\"oops\n", "x.csv"));
        Assert.Equal("x.csv row 3: a quoted field is never closed", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused_with_a_hint()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [(byte)'i', (byte)'d', (byte)'\n', 0xD6, 0xD0, 0xB9, 0xFA]); // "中国" in GB18030
            var e = Assert.Throws<CsvFormatException>(() => CsvTable.Load(path));
            Assert.Contains("CSV UTF-8", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
