using System.Net;
using System.Net.Http.Json;
using Iot.Fleet.Api;
using Iot.Fleet.Leads;
using Iot.Fleet.Rules;
using Iot.Fleet.Tests.People;
using Iot.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Iot.Fleet.Tests.Leads;

/// <summary>Engineers acknowledge and resolve integrity alerts; the alert itself stays as it was, the handling is audited.</summary>
[Collection(FleetAppCollection.Name)]
public sealed class AlertHandlingApiTests(FleetApp fleet)
{
    private Lead Raise(LeadQueue queue, string rule)
    {
        var now = DateTimeOffset.UtcNow;
        var minute = now.ToUnixTimeSeconds() / 60 - 40;
        var lead = new Lead
        {
            Queue = queue, Rule = rule, Site = FleetApp.SiteId(), Devices = new(StringComparer.Ordinal) { "GW-ALERT" }, StartMinute = minute, EndMinute = minute,
            WindowMinutes = 30, Value = 30, Limit = 30, Unit = "min", RaisedAt = now, UpdatedAt = now,
        };
        fleet.Services.GetRequiredService<LeadStore>().Save([lead]);
        return lead;
    }

    [Fact]
    public async Task An_engineer_acknowledges_then_resolves_an_alert_and_the_handling_is_read_back_and_audited()
    {
        var alert = Raise(LeadQueue.Integrity, "monitor.offline");
        using var engineer = await fleet.As(Roles.Engineer);
        var open = await FleetApp.Body(await engineer.GetAsync($"/api/alerts/handling?ids={alert.Id}"));
        Assert.Equal("open", (string)open[0]!["state"]!);

        Assert.Equal(HttpStatusCode.BadRequest, (await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/resolve", new { note = " " })).StatusCode);
        var acked = await FleetApp.Body(await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/acknowledge", new { note = "on my way" }));
        Assert.Equal("acknowledged", (string)acked["state"]!);
        Assert.Equal(HttpStatusCode.Conflict, (await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/acknowledge", new { })).StatusCode);
        var resolved = await FleetApp.Body(await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/resolve", new { note = "power adapter replaced" }));
        Assert.Equal(("resolved", "power adapter replaced"), ((string)resolved["state"]!, (string)resolved["note"]!));
        Assert.NotNull(resolved["acknowledgedAt"]);
        Assert.Equal(HttpStatusCode.Conflict, (await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/resolve", new { note = "again" })).StatusCode);

        // The alert itself is unchanged; the audit log has both steps.
        Assert.Equal("new", fleet.Services.GetRequiredService<LeadStore>().Get(alert.Id)!.Status);
        using var connection = fleet.Database();
        using var audit = connection.CreateCommand();
        audit.CommandText = $"SELECT COUNT(*) FROM audit_log WHERE subject = 'alert:{alert.Id}' AND action IN ('alert.acknowledge', 'alert.resolve')";
        Assert.Equal(2L, Convert.ToInt64(audit.ExecuteScalar()));
    }

    [Fact]
    public async Task Only_engineers_act_only_on_alerts_and_a_bad_request_says_why()
    {
        var alert = Raise(LeadQueue.Integrity, "monitor.tamper");
        var lead = Raise(LeadQueue.Enforcement, "fume.concentration");
        using var inspector = await fleet.As(Roles.Inspector);
        Assert.Equal(HttpStatusCode.Forbidden, (await inspector.PostAsJsonAsync($"/api/alerts/{alert.Id}/acknowledge", new { })).StatusCode);
        using var engineer = await fleet.As(Roles.Engineer);
        Assert.Equal(HttpStatusCode.NotFound, (await engineer.PostAsJsonAsync($"/api/alerts/{lead.Id}/acknowledge", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await engineer.PostAsJsonAsync("/api/alerts/999999999/acknowledge", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/acknowledge", new { note = new string('x', 1001) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await engineer.GetAsync("/api/alerts/handling?ids=1,abc")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await engineer.GetAsync($"/api/alerts/handling?ids={string.Join(",", Enumerable.Range(1, 201))}")).StatusCode);
        // A resolve nobody acknowledged acknowledges it too.
        var resolved = await FleetApp.Body(await engineer.PostAsJsonAsync($"/api/alerts/{alert.Id}/resolve", new { note = "lid closed, seal renewed" }));
        Assert.Equal((string)resolved["acknowledgedBy"]!, (string)resolved["resolvedBy"]!);
    }
}
