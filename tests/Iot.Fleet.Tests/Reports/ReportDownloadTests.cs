using System.Globalization;
using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Iot.Fleet.Cases;
using Iot.Fleet.Glossary;
using Iot.Fleet.Reports;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Cases;
using Xunit;

namespace Iot.Fleet.Tests.Reports;

/// <summary>The report's comparisons and bands, and its downloads: the xlsx read back cell by cell with the Open XML SDK (not
/// the library that wrote it), the CSV byte by byte. LoopDatabase's clock starts at 2026-11-18 11:20 UTC.</summary>
public sealed class ReportDownloadTests : IDisposable
{
    private readonly LoopDatabase _db = new();
    private readonly MonthlyReport _report;

    public ReportDownloadTests()
    {
        _report = new MonthlyReport(_db.Database, _db.Clock);
        _db.AddSite("R-1", "G-1");
        _db.AddSite("C-1", "G-2", SiteKind.Noise);
        _db.Squads.Save(new Squad("SQ-EAST", "东区中队", ["G-1", "G-2"], []));
    }

    public void Dispose() => _db.Dispose();

    /// <summary>November 2026: three leads, on site after 5 and 25 minutes and never; the second dismissed as a device fault.
    /// October: two leads. November 2025: one.</summary>
    private MonthlyReportView November()
    {
        var start = _db.Clock.Now;
        _db.Clock.Now = start.AddYears(-1);
        _db.RaiseLead("R-1");
        _db.Clock.Now = start.AddMonths(-1);
        _db.RaiseLead("R-1");
        _db.RaiseLead("C-1", rule: "noise.night_leq", value: 60, limit: 55);
        _db.Clock.Now = start;
        var quick = _db.RaiseLead("R-1");
        var slow = _db.RaiseLead("R-1", rule: "fume.purifier_off");
        var never = _db.RaiseLead("C-1", rule: "noise.night_leq", value: 60, limit: 55);
        foreach (var lead in new[] { quick, slow, never })
        {
            _db.Cases.Acknowledge(lead.Id, "centre", null, null);
            _db.Cases.Dispatch(lead.Id, null, "centre", null, null);
        }
        _db.Clock.Now += TimeSpan.FromMinutes(5);
        _db.Cases.Result(quick.Id, CaseStatus.ViolationFound, "purifier off", null, "li.wei", null);
        _db.Clock.Now += TimeSpan.FromMinutes(20);
        _db.Cases.Result(slow.Id, CaseStatus.NoViolation, "sensor wet", null, "li.wei", null);
        _db.Cases.Close(slow.Id, CaseStatus.Dismissed, "device_fault", null, "li.wei", null);
        _db.Cases.File(quick.Id, "郑高新环罚〔2026〕17号", "li.wei", null);
        _db.Cases.Verify(quick.Id, "photos seen", "wang.fang", null); // by someone else (independent verification)
        _db.Cases.Close(quick.Id, CaseStatus.Confirmed, null, null, "li.wei", null, fineYuan: 20_000.50m);
        return _report.Build("2026-11");
    }

    [Fact]
    public void The_month_is_compared_with_the_month_before_and_the_year_before_and_response_times_fall_in_bands()
    {
        var report = November();
        Assert.Equal(("2026-11", 3L, 2L, 1L), (report.Figures!.Month, report.Figures.Leads, report.PreviousMonth!.Leads, report.YearBefore!.Leads));
        Assert.Equal(("2026-10", "2025-11"), (report.PreviousMonth.Month, report.YearBefore.Month));
        Assert.Equal((2L, 1L, 0.5), (report.Figures.Closed, report.Figures.Dismissed, report.Figures.WrongLeadRate));
        Assert.Equal(2.0 / 3, report.Figures.ResponseRate);
        Assert.Equal(1L, report.Figures.NightWithoutPermit);
        Assert.Equal((1L, 20_000.50m), (report.Figures.CasesFiled, report.Figures.FinesYuan));
        Assert.Equal([("0-10", 1L), ("10-20", 0L), ("20-30", 1L), ("30-60", 0L), ("60+", 0L), ("none", 1L)], report.ResponseTimes.Select(r => (r.Key!, r.Count)));
        Assert.Equal([("device_fault", 1L)], report.Dismissals.Select(d => (d.Key!, d.Count)));
        Assert.Equal((1L, 0L, 0L, 0L), (report.Monitoring!.FumeSites, report.Monitoring.FumeSitesOnline, report.Monitoring.Devices, report.Monitoring.DevicesOnline));
    }

    [Fact]
    public void The_xlsx_has_one_sheet_per_table_with_the_bureaus_headers_and_the_figures_cell_by_cell()
    {
        var report = November();
        using var workbook = SpreadsheetDocument.Open(new MemoryStream(TableDownload.Xlsx(MonthlyTables.Of(report))), false);
        var sheets = Sheets(workbook);
        Assert.Equal(["概况", "违法类型", "网格", "点位", "时段", "中队", "到场用时", "无效线索原因", "夜间施工证明", "投诉举报（渠道）", "投诉举报（类型）", "监测在线（当前）"], sheets.Keys);

        var summary = sheets["概况"];
        Assert.Equal(["指标（2026-11）", "本月", "上月", "环比（%）", "去年同月", "同比（%）"], summary[0]);
        Assert.Equal(["执法线索", "3", "2", "50", "1", "200"], summary[1]);
        Assert.Equal(["无效线索率（%）", "50", "", "", "", ""], summary[5]);
        Assert.Equal(["按时到场率（%）", "66.7", "", "", "", ""], summary[6]);
        Assert.Equal(["处罚立案", "1", "0", "", "0", ""], summary[7]);
        Assert.Equal(["罚款（元）", "20000.5", "0", "", "0", ""], summary[8]);

        Assert.Equal(["违法类型", "线索数"], sheets["违法类型"][0]);
        Assert.Equal(report.Rules.Select(r => new List<string> { BureauWords.RuleZh(r.Key), r.Count.ToString(CultureInfo.InvariantCulture) }), sheets["违法类型"].Skip(1));
        Assert.Contains(sheets["违法类型"], r => r[0] == BureauWords.RuleZh("fume.purifier_off") && r[1] == "1");
        Assert.Equal([["到场用时（分钟）", "线索数"], ["0-10", "1"], ["10-20", "0"], ["20-30", "1"], ["30-60", "0"], ["60+", "0"], ["未到场", "1"]], sheets["到场用时"]);
        Assert.Equal([["原因", "线索数"], ["监测设备故障或数据异常", "1"]], sheets["无效线索原因"]);
        Assert.Equal(25, sheets["时段"].Count);
        Assert.Equal("东区中队", sheets["中队"][1][0]);
        Assert.Equal([["网格", "线索数"], ["G-1", "2"], ["G-2", "1"]], sheets["网格"].Take(1).Concat(sheets["网格"].Skip(1).OrderBy(r => r[0], StringComparer.Ordinal)));
        Assert.Equal([["申报", "批准", "不予批准", "撤销", "夜间线索·有证明", "夜间线索·无证明"], ["0", "0", "0", "0", "0", "1"]], sheets["夜间施工证明"]);
    }

    [Fact]
    public void The_cases_register_names_the_case_number_the_fine_and_who_verified()
    {
        November();
        var cases = new RegisterTables(_db.Database, _db.Registry, new Iot.Fleet.Registry.PartyRegister(_db.Database)).Of("cases");
        var row = Assert.Single(cases.Rows, r => r[1] is "郑高新环罚〔2026〕17号");
        var column = (string header) => row[cases.Headers.ToList().IndexOf(header)];
        Assert.Equal((20_000.50m, "wang.fang", "R-1"), (column("罚款（元）"), column("核查人"), column("点位编号")));
        Assert.Equal(3, cases.Rows.Count); // the November leads; October's and last year's were never taken in
        int At(string header) => cases.Headers.ToList().IndexOf(header);
        Assert.Equal(BureauWords.Zh("status.dismissed"), cases.Rows.Single(r => r[At("结案原因")] is "监测设备故障或数据异常")[At("状态")]);
    }

    [Fact]
    public void An_empty_table_keeps_its_headers_in_the_xlsx()
    {
        using var workbook = SpreadsheetDocument.Open(new MemoryStream(TableDownload.Xlsx([new ReportTable("无效线索原因", ["原因", "线索数"], [])])), false);
        Assert.Equal([["原因", "线索数"]], Sheets(workbook)["无效线索原因"]);
    }

    [Fact]
    public void The_csv_starts_with_a_byte_order_mark_quotes_what_it_must_and_defuses_formulas()
    {
        var csv = TableDownload.Csv([
            new ReportTable("点位", ["编号", "名称", "线索数"], [["R-1", "=HYPERLINK(\"http://evil\")", 3L], ["R-2", "王记, \"老店\"", 1.5]]),
            new ReportTable("空表", ["原因"], []),
        ]);
        Assert.Equal(Encoding.UTF8.GetPreamble(), csv[..3]);
        Assert.Equal(
            "点位\r\n编号,名称,线索数\r\nR-1,\"'=HYPERLINK(\"\"http://evil\"\")\",3\r\nR-2,\"王记, \"\"老店\"\"\",1.5\r\n\r\n空表\r\n原因\r\n",
            Encoding.UTF8.GetString(csv[3..]));
    }

    internal static Dictionary<string, List<List<string>>> Sheets(SpreadsheetDocument workbook)
    {
        var part = workbook.WorkbookPart!;
        var shared = part.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToList() ?? [];
        var sheets = new Dictionary<string, List<List<string>>>();
        foreach (var sheet in part.Workbook.Sheets!.Elements<Sheet>())
        {
            var worksheet = ((WorksheetPart)part.GetPartById(sheet.Id!)).Worksheet;
            var rows = new List<List<string>>();
            foreach (var row in worksheet.Descendants<Row>())
            {
                var cells = new List<string>();
                foreach (var cell in row.Elements<Cell>())
                {
                    // Cells may skip empty columns: place each by its reference (A, B, …).
                    var column = cell.CellReference!.Value!.TakeWhile(char.IsLetter).Aggregate(0, (n, c) => n * 26 + c - 'A' + 1) - 1;
                    while (cells.Count < column) cells.Add("");
                    var text = cell.CellValue?.Text ?? cell.InlineString?.InnerText ?? "";
                    cells.Add(cell.DataType?.Value == CellValues.SharedString ? shared[int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)] : text);
                }
                rows.Add(cells);
            }
            var width = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
            foreach (var r in rows) while (r.Count < width) r.Add("");
            sheets[sheet.Name!.Value!] = rows;
        }
        return sheets;
    }
}
