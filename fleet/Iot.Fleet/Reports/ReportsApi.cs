using Iot.Fleet.Api;
using Iot.Fleet.Leads;
using Iot.Fleet.People;

namespace Iot.Fleet.Reports;

/// <summary>The monthly report and the sites overview (for the pages' charts and map); they count leads, so they are
/// for those who read leads (not installers).</summary>
public static class ReportsApi
{
    /// <summary>Registers the report and maps its endpoints; FleetSetup calls this once.</summary>
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/reports").WithTags("Reports").RequireRoles(Roles.LeadReading);
        api.MapGet("/monthly", (string? month, HttpContext http) => TypedResults.Ok(Monthly(http, month)));
        // Downloads: one sheet per table, the bureau's headers (Reports/MonthlyTables).
        api.MapGet("/monthly.xlsx", (string? month, HttpContext http) =>
        {
            var report = Monthly(http, month);
            return TypedResults.File(TableDownload.Xlsx(MonthlyTables.Of(report)), TableDownload.XlsxType, $"monthly-report-{report.Month}.xlsx");
        });
        api.MapGet("/monthly.csv", (string? month, HttpContext http) =>
        {
            var report = Monthly(http, month);
            return TypedResults.File(TableDownload.Csv(MonthlyTables.Of(report)), TableDownload.CsvType, $"monthly-report-{report.Month}.csv");
        });
        api.MapGet("/sites", (HttpContext http, PageRequest page) => page.Of(Report(http).Sites(), s => s.Id));

        // The registers (台账): sites, parties, devices, permits, cases, complaints (the last only for who handles complaints).
        var registers = app.MapGroup("/api/registers").WithTags("Reports").RequireRoles(Roles.LeadReading);
        registers.MapGet("/{register}.xlsx", (string register, HttpContext http) =>
            TypedResults.File(TableDownload.Xlsx([Register(http, register)]), TableDownload.XlsxType, $"register-{register}.xlsx"));
        registers.MapGet("/{register}.csv", (string register, HttpContext http) =>
            TypedResults.File(TableDownload.Csv([Register(http, register)]), TableDownload.CsvType, $"register-{register}.csv"));
        return app;
    }

    /// <summary>The report of <paramref name="month"/>, or of the running month in the bureau's zone.</summary>
    private static MonthlyReportView Monthly(HttpContext http, string? month) =>
        Report(http).Build(month ?? TimeZoneInfo.ConvertTime(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
            TimeZoneInfo.FindSystemTimeZoneById(MonthlyReport.Timezone)).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture));

    private static ReportTable Register(HttpContext http, string register)
    {
        // What people complained of is for those who handle complaints (Roles.Complaints), not every lead reader.
        if (register == "complaints" && !Roles.Complaints.Append(Roles.Admin).Any(http.User.IsInRole))
            throw RefusalException.Forbidden($"the complaints register is for {string.Join(", ", Roles.Complaints)} and admin");
        return ActivatorUtilities.CreateInstance<RegisterTables>(http.RequestServices).Of(register);
    }

    // Built per request from the singletons it reads: the report keeps no state, and FleetSetup stays one line.
    private static MonthlyReport Report(HttpContext http) =>
        ActivatorUtilities.CreateInstance<MonthlyReport>(http.RequestServices);
}
