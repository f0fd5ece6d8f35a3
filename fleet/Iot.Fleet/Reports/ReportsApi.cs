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
        api.MapGet("/monthly", (string? month, HttpContext http) =>
        {
            var report = Report(http);
            month ??= TimeZoneInfo.ConvertTime(http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
                TimeZoneInfo.FindSystemTimeZoneById(MonthlyReport.Timezone)).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Ok(report.Build(month));
        });
        api.MapGet("/sites", (HttpContext http, PageRequest page) => page.Of(Report(http).Sites(), s => s.Id));
        return app;
    }

    // Built per request from the singletons it reads: the report keeps no state, and FleetSetup stays one line.
    private static MonthlyReport Report(HttpContext http) =>
        ActivatorUtilities.CreateInstance<MonthlyReport>(http.RequestServices);
}
