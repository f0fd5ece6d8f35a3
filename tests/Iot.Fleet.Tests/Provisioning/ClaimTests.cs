using Dapper;
using Iot.Contract.Identity;
using Iot.Fleet.Api;
using Iot.Fleet.Provisioning;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Iot.Fleet.Tests.Rules;
using Iot.Contract.Http;
using Microsoft.Extensions.Options;
using Xunit;

namespace Iot.Fleet.Tests.Provisioning;

/// <summary>Claim codes: stored as hashes, single-use, expiring; uploads are all or nothing.</summary>
public sealed class ClaimTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-claims-").FullName;
    private readonly FleetDatabase _database;
    private readonly SiteRegistry _registry;
    private readonly ManualClock _time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FactoryGateways _gateways;

    public ClaimTests()
    {
        _database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        _database.Migrate();
        _registry = new SiteRegistry(_database);
        _gateways = new FactoryGateways(_database, _registry, Options.Create(new ProvisioningOptions { ClaimCodeLifetime = TimeSpan.FromDays(30) }), _time);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static FactoryDevice Gateway(string id) => new(id, ClaimCode.Generate(), BootstrapSecret.Generate());

    private static SiteSpec Site(string id) => new(id, "Noodle house", "fume", 31.23, 121.47, "G-01");

    private int Status(Action action) => Assert.Throws<RefusalException>(action).Status;

    [Fact]
    public void A_claim_code_works_once_and_binds_the_gateway_to_the_new_site()
    {
        var gateway = Gateway("NS-000001");
        _gateways.Upload([gateway]);

        var result = _gateways.Claim(new ClaimRequest(gateway.ClaimCode.ToLowerInvariant(), null, Site("R-1")), "li.wei");

        Assert.Equal(("NS-000001", "R-1"), (result.DeviceId, result.SiteId));
        Assert.Equal("R-1", _registry.View("NS-000001")!.Site);
        Assert.Equal("li.wei", _gateways.Get("NS-000001")!.ClaimedBy);
        Assert.Equal(409, Status(() => _gateways.Claim(new ClaimRequest(gateway.ClaimCode, "R-1", null), "li.wei")));
    }

    [Fact]
    public void A_claim_code_expires()
    {
        var gateway = Gateway("NS-000002");
        _gateways.Upload([gateway]);
        _time.Now += TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1);

        Assert.Equal(410, Status(() => _gateways.Claim(new ClaimRequest(gateway.ClaimCode, null, Site("R-2")), "li.wei")));
        Assert.Null(_registry.View("NS-000002"));
    }

    [Fact]
    public void Unknown_and_mistyped_codes_are_told_apart_and_bind_nothing()
    {
        _gateways.Upload([Gateway("NS-000003")]);
        var unknown = Gateway("NS-999999").ClaimCode;
        var mistyped = (unknown[0] == 'A' ? "B" : "A") + unknown[1..];

        Assert.Equal(404, Status(() => _gateways.Claim(new ClaimRequest(unknown, null, Site("R-3")), "li.wei")));
        Assert.Equal(400, Status(() => _gateways.Claim(new ClaimRequest(mistyped, null, Site("R-3")), "li.wei")));
        Assert.Null(_registry.GetSite("R-3"));
    }

    [Fact]
    public void The_fleet_keeps_no_claim_code_or_secret_in_clear_and_an_upload_with_one_known_id_stores_nothing()
    {
        var first = Gateway("NS-000004");
        _gateways.Upload([first]);
        Assert.Equal(409, Status(() => _gateways.Upload([Gateway("NS-000005"), Gateway("NS-000004")])));

        using var connection = _database.Open();
        Assert.Equal(["NS-000004"], connection.Query<string>("SELECT id FROM factory_devices"));
        var stored = string.Join("|", connection.Query<string>("SELECT claim_code_hash FROM factory_devices"));
        Assert.DoesNotContain(first.ClaimCode, stored);
        Assert.DoesNotContain(first.ClaimCode.Replace("-", ""), stored);
    }
}
