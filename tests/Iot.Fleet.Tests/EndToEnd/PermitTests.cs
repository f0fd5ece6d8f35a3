using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Iot.Testing;
using Xunit;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Night-work permits against the running fleet: filed → approved | refused, approved → revoked, each step
/// with who, when and why; illegal steps refused with 409; only inspectors decide, only an admin records an approval.</summary>
[Collection(PipelineCollection.Name)]
public sealed class PermitTests(PipelineFixture pipeline)
{
    private static readonly DateTimeOffset From = new(2026, 6, 1, 22, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public async Task A_permit_is_filed_approved_and_revoked_by_inspectors_with_who_when_and_why()
    {
        await pipeline.Register("N-PERMITS", "noise", "GW-PERMITS-1");
        var (filer, filerLogin) = await FleetPeople.SignInAs(pipeline.Fleet, "inspector");
        var (decider, deciderLogin) = await FleetPeople.SignInAs(pipeline.Fleet, "inspector");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var filed = await Created(await filer.PostAsJsonAsync("/api/sites/N-PERMITS/permits",
            new { from = From, to = From.AddHours(8), reference = "夜施 2026-0601", note = "pile driving" }));
        var id = (long)filed["id"]!;
        Assert.Equal("filed", (string)filed["status"]!);
        Assert.Equal("夜施 2026-0601", (string)filed["reference"]!);
        var step = Assert.Single(filed["history"]!.AsArray())!;
        Assert.Equal(("filed", filerLogin), ((string)step["status"]!, (string)step["by"]!));
        Assert.InRange((DateTimeOffset)step["at"]!, before, DateTimeOffset.UtcNow.AddSeconds(1));

        var approved = await Ok(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/approve", new { }));
        Assert.Equal("approved", (string)approved["status"]!);
        Assert.Equal(deciderLogin, (string)approved["history"]![1]!["by"]!);

        // What a status does not allow is a conflict that says why.
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/approve", new { }), HttpStatusCode.Conflict, "is approved");
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/refuse", new { reason = "late" }), HttpStatusCode.Conflict, "only revoked");
        // Revoking needs a reason.
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/revoke", new { }), HttpStatusCode.BadRequest, "reason");

        var revoked = await Ok(await filer.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/revoke", new { reason = "complaints from residents; work beyond the permit" }));
        Assert.Equal("revoked", (string)revoked["status"]!);
        Assert.Equal(["filed", "approved", "revoked"], revoked["history"]!.AsArray().Select(h => (string)h!["status"]!));
        Assert.Equal("complaints from residents; work beyond the permit", (string)revoked["history"]![2]!["reason"]!);
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/revoke", new { reason = "again" }), HttpStatusCode.Conflict, "final");
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{id}/approve", new { }), HttpStatusCode.Conflict, "revoked");

        // A refused permit stays refused.
        var other = (long)(await Created(await filer.PostAsJsonAsync("/api/sites/N-PERMITS/permits", new { from = From.AddDays(1), to = From.AddDays(1).AddHours(8) })))["id"]!;
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{other}/refuse", new { }), HttpStatusCode.BadRequest, "reason");
        var refused = await Ok(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{other}/refuse", new { reason = "residential zone, exam week" }));
        Assert.Equal("refused", (string)refused["status"]!);
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{other}/approve", new { }), HttpStatusCode.Conflict, "refused");
        await Refused(await decider.PostAsJsonAsync($"/api/sites/N-PERMITS/permits/{other}/revoke", new { reason = "x" }), HttpStatusCode.Conflict, "refused");
        await Refused(await decider.PostAsJsonAsync("/api/sites/N-PERMITS/permits/999999/approve", new { }), HttpStatusCode.NotFound, "999999");

        // The list: every permit with its status and history; the audit log has each step with its actor.
        using var admin = pipeline.Fleet.Http();
        var permits = await admin.GetAllAsync("/api/sites/N-PERMITS/permits");
        Assert.Equal([(id, "revoked", 3), (other, "refused", 2)],
            permits.Select(p => ((long)p!["id"]!, (string)p["status"]!, p["history"]!.AsArray().Count)));
        var audit = await admin.GetAllAsync($"/api/audit?subject=permit:{id}");
        Assert.Equal([("permit.create", filerLogin), ("permit.approve", deciderLogin), ("permit.revoke", filerLogin)],
            audit.Select(e => ((string)e!["action"]!, (string)e["actor"]!)).Reverse());
    }

    [Fact]
    public async Task Only_an_admin_records_an_approved_permit_and_only_inspectors_decide()
    {
        await pipeline.Register("N-PERMIT-ROLES", "noise", "GW-PERMITS-2");
        var (inspector, _) = await FleetPeople.SignInAs(pipeline.Fleet, "inspector");
        var (engineer, _) = await FleetPeople.SignInAs(pipeline.Fleet, "engineer");
        var (installer, _) = await FleetPeople.SignInAs(pipeline.Fleet, "installer");
        var span = new { from = From, to = From.AddHours(8) };

        // An inspector files; an approval on entry is an import from the permit office, for an admin.
        await Refused(await inspector.PostAsJsonAsync("/api/sites/N-PERMIT-ROLES/permits", new { span.from, span.to, status = "approved" }),
            HttpStatusCode.Forbidden, "admin");
        using var admin = pipeline.Fleet.Http();
        var imported = await Created(await admin.PostAsJsonAsync("/api/sites/N-PERMIT-ROLES/permits", new { span.from, span.to, status = "approved", reference = "office 17" }));
        Assert.Equal("approved", (string)imported["status"]!);
        Assert.Equal(("approved", "admin-token"), ((string)imported["history"]![0]!["status"]!, (string)imported["history"]![0]!["by"]!));
        await Refused(await admin.PostAsJsonAsync("/api/sites/N-PERMIT-ROLES/permits", new { span.from, span.to, status = "revoked" }), HttpStatusCode.BadRequest, "filed or approved");
        await Refused(await admin.PostAsJsonAsync("/api/sites/N-PERMIT-ROLES/permits", new { from = span.to, to = span.from }), HttpStatusCode.BadRequest, "end after");
        await Refused(await admin.PostAsJsonAsync("/api/sites/N-NOWHERE/permits", span), HttpStatusCode.BadRequest, "does not exist");

        // Engineers and installers neither file nor decide; everyone signed in reads.
        var filed = (long)(await Created(await inspector.PostAsJsonAsync("/api/sites/N-PERMIT-ROLES/permits", span)))["id"]!;
        Assert.Equal(HttpStatusCode.Forbidden, (await engineer.PostAsJsonAsync("/api/sites/N-PERMIT-ROLES/permits", span)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await engineer.PostAsJsonAsync($"/api/sites/N-PERMIT-ROLES/permits/{filed}/approve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await installer.PostAsJsonAsync($"/api/sites/N-PERMIT-ROLES/permits/{filed}/refuse", new { reason = "x" })).StatusCode);
        Assert.Equal(2, await installer.CountAsync("/api/sites/N-PERMIT-ROLES/permits"));
        Assert.Equal("filed", (string)(await installer.GetFromJsonAsync<JsonObject>($"/api/sites/N-PERMIT-ROLES/permits/{filed}"))!["status"]!);
    }

    private static async Task<JsonObject> Created(HttpResponseMessage answer)
    {
        Assert.True(answer.StatusCode == HttpStatusCode.Created, await answer.Content.ReadAsStringAsync());
        return (await answer.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<JsonObject> Ok(HttpResponseMessage answer)
    {
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        return (await answer.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task Refused(HttpResponseMessage answer, HttpStatusCode status, string says)
    {
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == status, $"{answer.StatusCode}: {body}");
        Assert.Contains(says, body);
    }
}
