using System.Text.Json;
using Dapper;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Registry;

/// <summary>A registry write that cannot be done; the message says why, for the caller.</summary>
public sealed class RegistryException(string message, bool conflict = false) : Exception(message)
{
    /// <summary>True when the thing already exists (HTTP 409) rather than being invalid (HTTP 400).</summary>
    public bool Conflict { get; } = conflict;
}

/// <summary>Sites, devices and permits in the fleet database, with an in-memory view the rules read
/// on every record.</summary>
public sealed class SiteRegistry : ISiteDirectory
{
    private readonly FleetDatabase _database;
    private readonly object _lock = new();
    private Dictionary<string, SiteContext> _siteOfDevice = new(StringComparer.Ordinal);
    private Dictionary<string, SiteContext> _sites = new(StringComparer.Ordinal);

    public SiteRegistry(FleetDatabase database)
    {
        _database = database;
        Reload();
    }

    public SiteContext? SiteOf(string device)
    {
        lock (_lock) return _siteOfDevice.GetValueOrDefault(device);
    }

    /// <summary>Devices bound to the site.</summary>
    public IReadOnlyList<string> DevicesOf(string site)
    {
        lock (_lock) return _sites.TryGetValue(site, out var context) ? context.Devices : [];
    }

    public Site AddSite(Site site)
    {
        if (!WireProtocol.DeviceId().IsMatch(site.Id)) throw new RegistryException("site id must match ^[A-Z0-9][A-Z0-9-]{2,31}$");
        if (string.IsNullOrWhiteSpace(site.Name)) throw new RegistryException("site name is required");
        if (RuleProfile.Find(site.Profile) is null)
            throw new RegistryException($"unknown profile '{site.Profile}'; known: {string.Join(", ", RuleProfile.Shipped.Select(p => p.Id))}");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(site.Timezone, out _)) throw new RegistryException($"unknown time zone '{site.Timezone}'");
        foreach (var hours in site.BusinessHours)
            if (!TimeOnly.TryParseExact(hours.From, "HH:mm", out _) || !TimeOnly.TryParseExact(hours.To, "HH:mm", out _))
                throw new RegistryException($"business hours must be HH:mm, not '{hours.From}'-'{hours.To}'");
        using var connection = _database.Open();
        var inserted = connection.Execute(
            """
            INSERT INTO sites (id, name, kind, timezone, grid, profile, business_hours, created_at)
            VALUES (@Id, @Name, @kind, @Timezone, @Grid, @Profile, @hours, @now) ON CONFLICT (id) DO NOTHING
            """,
            new { site.Id, site.Name, kind = site.Kind.ToString().ToLowerInvariant(), site.Timezone, site.Grid, site.Profile,
                hours = JsonSerializer.Serialize(site.BusinessHours), now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        if (inserted == 0) throw new RegistryException($"site {site.Id} already exists", conflict: true);
        Reload();
        return site;
    }

    public Device AddDevice(string id, string? site)
    {
        if (!WireProtocol.DeviceId().IsMatch(id)) throw new RegistryException("device id must match ^[A-Z0-9][A-Z0-9-]{2,31}$");
        using var connection = _database.Open();
        if (site is not null && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }) == 0)
            throw new RegistryException($"site {site} does not exist");
        var now = DateTimeOffset.UtcNow;
        var inserted = connection.Execute("INSERT INTO devices (id, site, created_at) VALUES (@id, @site, @now) ON CONFLICT (id) DO NOTHING",
            new { id, site, now = now.ToUnixTimeMilliseconds() });
        if (inserted == 0) throw new RegistryException($"device {id} already exists", conflict: true);
        Reload();
        return new Device(id, site, now);
    }

    public NightWorkPermit AddPermit(string site, DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from) throw new RegistryException("a permit must end after it starts");
        using var connection = _database.Open();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }) == 0)
            throw new RegistryException($"site {site} does not exist");
        var id = connection.ExecuteScalar<long>(
            "INSERT INTO permits (site, from_time, to_time, created_at) VALUES (@site, @from, @to, @now) RETURNING id",
            new { site, from = from.ToUnixTimeSeconds(), to = to.ToUnixTimeSeconds(), now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        Reload();
        return new NightWorkPermit(id, site, from, to);
    }

    public Site? GetSite(string id)
    {
        using var connection = _database.Open();
        return connection.QueryFirstOrDefault<SiteRow>("SELECT id, name, kind, timezone, grid, profile, business_hours FROM sites WHERE id = @id", new { id })?.ToSite();
    }

    public IReadOnlyList<Site> Sites()
    {
        using var connection = _database.Open();
        return connection.Query<SiteRow>("SELECT id, name, kind, timezone, grid, profile, business_hours FROM sites ORDER BY id").Select(r => r.ToSite()).ToList();
    }

    public IReadOnlyList<NightWorkPermit> Permits(string site)
    {
        using var connection = _database.Open();
        return connection.Query<(long id, string site, long from_time, long to_time)>(
                "SELECT id, site, from_time, to_time FROM permits WHERE site = @site ORDER BY from_time", new { site })
            .Select(p => new NightWorkPermit(p.id, p.site, DateTimeOffset.FromUnixTimeSeconds(p.from_time), DateTimeOffset.FromUnixTimeSeconds(p.to_time)))
            .ToList();
    }

    /// <summary>A device with what the ingest last heard from it; null when the device is unknown.</summary>
    public DeviceView? View(string id)
    {
        using var connection = _database.Open();
        var device = connection.QueryFirstOrDefault<(string id, string? site)?>("SELECT id, site FROM devices WHERE id = @id", new { id });
        var state = connection.QueryFirstOrDefault<(long? last_seen, string? firmware, long? online, long? buffered, long rejected)?>(
            "SELECT last_seen, firmware, online, buffered, rejected FROM device_state WHERE dev = @id", new { id });
        if (device is null && state is null) return null;
        var status = state?.online switch { 1 => "online", 0 => "offline", _ => state?.last_seen is null ? "never seen" : "unknown" };
        return new DeviceView(id, device?.site, state?.last_seen is { } seen ? DateTimeOffset.FromUnixTimeMilliseconds(seen).UtcDateTime : null,
            state?.firmware, status, state?.buffered, state?.rejected ?? 0);
    }

    /// <summary>Rebuilds the in-memory view after a write. Registry writes are rare; records are not.</summary>
    public void Reload()
    {
        using var connection = _database.Open();
        var sites = connection.Query<SiteRow>("SELECT id, name, kind, timezone, grid, profile, business_hours FROM sites")
            .Select(r => r.ToSite())
            .ToDictionary(s => s.Id, s => new SiteContext(s.Id, s.Kind, TimeZoneInfo.FindSystemTimeZoneById(s.Timezone), RuleProfile.Find(s.Profile)!));
        var devices = connection.Query<(string id, string site)>("SELECT id, site FROM devices WHERE site IS NOT NULL").ToList();
        foreach (var (site, context) in sites) context.Devices = devices.Where(d => d.site == site).Select(d => d.id).ToList();
        foreach (var permit in connection.Query<(string site, long from_time, long to_time)>("SELECT site, from_time, to_time FROM permits").GroupBy(p => p.site))
            if (sites.TryGetValue(permit.Key, out var context))
                context.Permits = permit.Select(p => new PermitSpan(DateTimeOffset.FromUnixTimeSeconds(p.from_time), DateTimeOffset.FromUnixTimeSeconds(p.to_time))).ToList();
        var map = devices.ToDictionary(d => d.id, d => sites[d.site], StringComparer.Ordinal);
        lock (_lock)
        {
            _siteOfDevice = map;
            _sites = sites;
        }
    }

    private sealed record SiteRow(string id, string name, string kind, string timezone, string? grid, string profile, string business_hours)
    {
        public Site ToSite() => new(id, name, Enum.Parse<SiteKind>(kind, ignoreCase: true), timezone, grid, profile,
            JsonSerializer.Deserialize<List<BusinessHours>>(business_hours) ?? []);
    }
}
