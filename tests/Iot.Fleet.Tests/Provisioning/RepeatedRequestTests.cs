using System.Text.Json;
using Dapper;
using Iot.Contract.Identity;
using Iot.Fleet.Api;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Provisioning;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Rules;
using Iot.Contract.Http;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Provisioning;

/// <summary>The install page's offline queue sends a claim or a sign-off again when it never saw the answer: with the
/// same Idempotency-Key the fleet answers what the first made, once, and refuses the key on another request.</summary>
public sealed class RepeatedRequestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-repeat-").FullName;
    private readonly FleetDatabase _database;
    private readonly SiteRegistry _registry;
    private readonly ManualClock _time = new(DateTimeOffset.UtcNow);
    private readonly FactoryGateways _gateways;
    private readonly CommissioningRecords _records;

    public RepeatedRequestTests()
    {
        _database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        _database.Migrate();
        _registry = new SiteRegistry(_database);
        _gateways = new FactoryGateways(_database, _registry, Options.Create(new ProvisioningOptions()), _time);
        var checklist = new CommissioningChecklist(_database, _registry, _gateways, _time, Options.Create(new CommissioningOptions()));
        _records = new CommissioningRecords(_database, _registry, checklist, _time);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static SiteSpec Site(string id) => new(id, "Noodle house", "fume", 31.23, 121.47, "G-01");

    [Fact]
    public void A_claim_sent_again_with_its_key_answers_the_same_and_binds_once()
    {
        var gateway = new FactoryDevice("NS-000101", ClaimCode.Generate(), BootstrapSecret.Generate());
        _gateways.Upload([gateway]);
        var request = new ClaimRequest(gateway.ClaimCode, null, Site("R-KEY"));

        var first = _gateways.Claim(request, "li.wei", "5d0c6e9a-claim-1");
        var again = _gateways.Claim(request, "li.wei", "5d0c6e9a-claim-1");

        Assert.Equal((new ClaimResult("NS-000101", "R-KEY"), false), first);
        Assert.Equal((new ClaimResult("NS-000101", "R-KEY"), true), again);
        using (var connection = _database.Open())
            Assert.Equal(1, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = 'R-KEY'"));
        // Without the key, or with another key, or by someone else: the code has been used.
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _gateways.Claim(request, "li.wei")).Status);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _gateways.Claim(request, "li.wei", "5d0c6e9a-claim-2")).Status);
        var other = Assert.Throws<RefusalException>(() => _gateways.Claim(request, "wang.fang", "5d0c6e9a-claim-1"));
        Assert.Equal(409, other.Status);
        Assert.Contains(IdempotencyKey.Header, other.Message);
    }

    [Fact]
    public void A_sign_off_sent_again_with_its_key_answers_the_first_record_and_stores_one()
    {
        _registry.AddSite(FactoryGateways.ToSite(Site("R-SIGN")));
        _registry.AddDevice("GW-SIGN-1", "R-SIGN");
        Passing("GW-SIGN-1");

        var (first, repeatedFirst) = _records.SignOff("GW-SIGN-1", "li.wei", "above the outlet", null, "sign-off-key-1");
        _time.Now += TimeSpan.FromMinutes(20); // meanwhile the record is no longer recent: the checklist would refuse now
        var (again, repeated) = _records.SignOff("GW-SIGN-1", "li.wei", "above the outlet", null, "sign-off-key-1");

        Assert.False(repeatedFirst);
        Assert.True(repeated);
        Assert.Equal(first.Id, again.Id);
        Assert.Single(_records.OfSite("R-SIGN"));
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _records.SignOff("GW-SIGN-1", "li.wei", null, null, "sign-off-key-2")).Status);
        Assert.Equal(409, Assert.Throws<RefusalException>(() => _records.SignOff("GW-SIGN-1", "wang.fang", null, null, "sign-off-key-1")).Status);
        Assert.Single(_records.OfSite("R-SIGN"));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("0b7f3c1e-9a4d-4f6b-8c2e-5d1a7e9b3f20", "0b7f3c1e-9a4d-4f6b-8c2e-5d1a7e9b3f20")]
    [InlineData("short", "400")]
    [InlineData("has space in it", "400")]
    public void The_key_is_a_short_plain_token(string? header, string? expected)
    {
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        if (header is not null) http.Request.Headers[IdempotencyKey.Header] = header;
        if (expected == "400") Assert.Equal(400, Assert.Throws<RefusalException>(() => IdempotencyKey.Of(http)).Status);
        else Assert.Equal(expected, IdempotencyKey.Of(http));
    }

    /// <summary>What a working gateway has sent: its status (online, clock synced, good signal, store empty) and a recent record.</summary>
    private void Passing(string device)
    {
        var now = _time.GetUtcNow();
        var status = JsonSerializer.Serialize(new DeviceStatus(device, true, "1.0.0", 1, 60, -60, null, "synced", 0));
        using var connection = _database.Open();
        connection.Execute("INSERT INTO device_state (dev, last_seen, online, status, buffered) VALUES (@device, @now, 1, @status, 0)",
            new { device, now = now.ToUnixTimeMilliseconds(), status });
        connection.Execute("INSERT INTO records (dev, seq, t, dur, q, m, site, message_id, received_at) VALUES (@device, 1, @t, 60, 0, @m, 'R-SIGN', 1, @now)",
            new { device, t = now.ToUnixTimeSeconds() - 60, m = """{"fume":0.4,"fan":1,"pur":1}""", now = now.ToUnixTimeMilliseconds() });
        Assert.True(new CommissioningChecklist(_database, _registry, _gateways, _time, Options.Create(new CommissioningOptions())).For(device)!.Complete);
    }
}
