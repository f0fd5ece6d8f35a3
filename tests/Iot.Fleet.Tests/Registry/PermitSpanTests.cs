using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Registry;
using Iot.Fleet.Rules;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Cases;
using Xunit;

namespace Iot.Fleet.Tests.Registry;

/// <summary>Which permits the rules see (SiteContext.PermitAt): approved ones, a revoked one only before its revocation,
/// never a filed or refused one; the earliest when several overlap a window.</summary>
public sealed class PermitSpanTests : IDisposable
{
    private readonly LoopDatabase _db = new();
    private readonly AuditLog _audit;

    public PermitSpanTests()
    {
        _audit = new AuditLog(_db.Database, _db.Clock);
        _db.AddSite("N-SPAN", "G-1", SiteKind.Noise);
        _db.Registry.AddDevice("GW-SPAN-1", "N-SPAN");
    }

    private static long Minute(DateTimeOffset t) => t.ToUnixTimeSeconds() / 60;

    private SiteContext Site => _db.Registry.SiteOf("GW-SPAN-1")!;

    private NightWorkPermit File(DateTimeOffset from, DateTimeOffset to, string status = PermitStatus.Filed) =>
        _db.Registry.AddPermit("N-SPAN", from, to, status, null, null, AuditScope.ForSystem(_audit, "test", "permit.create"));

    private NightWorkPermit? Decide(long id, string status, string? reason = null) =>
        _db.Registry.DecidePermit("N-SPAN", id, status, reason, AuditScope.ForSystem(_audit, "test", $"permit.{status}"));

    [Fact]
    public void Only_approved_permits_count_and_a_revoked_one_only_before_its_revocation()
    {
        var now = DateTimeOffset.UtcNow;
        var permit = File(now.AddHours(-3), now.AddHours(3));
        Assert.Null(Site.PermitAt(Minute(now.AddHours(-2)), 20));

        Decide(permit.Id, PermitStatus.Approved);
        Assert.Equal(permit.Id, Site.PermitAt(Minute(now.AddHours(-2)), 20));
        Assert.Equal(permit.Id, Site.PermitAt(Minute(now.AddHours(-3).AddMinutes(-19)), 20)); // overlaps its first minute
        Assert.Null(Site.PermitAt(Minute(now.AddHours(-3).AddMinutes(-20)), 20));
        Assert.True(Site.PermitCovers(Minute(now.AddHours(-2)), 20));

        Decide(permit.Id, PermitStatus.Revoked, "work beyond the permit");
        Assert.Equal(permit.Id, Site.PermitAt(Minute(now.AddHours(-2)), 20)); // it counted until revoked
        Assert.Equal(permit.Id, Site.PermitAt(Minute(now.AddMinutes(-5)), 20));
        Assert.Null(Site.PermitAt(Minute(now.AddMinutes(2)), 20));
        Assert.Null(Site.PermitAt(Minute(now.AddHours(2)), 20));

        var refused = File(now.AddHours(1), now.AddHours(5));
        Decide(refused.Id, PermitStatus.Refused, "exam week");
        Assert.Null(Site.PermitAt(Minute(now.AddHours(2)), 20));
    }

    [Fact]
    public void The_earliest_of_overlapping_permits_is_named()
    {
        var now = DateTimeOffset.UtcNow;
        var later = File(now.AddHours(1), now.AddHours(4), PermitStatus.Approved);
        var earlier = File(now, now.AddHours(2), PermitStatus.Approved);
        Assert.Equal(earlier.Id, Site.PermitAt(Minute(now.AddMinutes(90)), 20));
        Assert.Equal(later.Id, Site.PermitAt(Minute(now.AddHours(3)), 20));
        Assert.Null(Site.PermitAt(Minute(now.AddHours(5)), 20));
    }

    [Fact]
    public void A_decision_the_status_does_not_allow_is_a_conflict()
    {
        var permit = File(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal(409, Assert.Throws<RefusalException>(() => Decide(permit.Id, PermitStatus.Revoked, "no")).Status);
        Decide(permit.Id, PermitStatus.Refused, "incomplete application");
        Assert.Equal(409, Assert.Throws<RefusalException>(() => Decide(permit.Id, PermitStatus.Approved)).Status);
        Assert.Null(Decide(permit.Id + 1000, PermitStatus.Approved));
    }

    public void Dispose() => _db.Dispose();
}
