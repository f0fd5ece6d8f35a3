using System.Data.Common;
using System.Text.Json;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Registry;

/// <summary>Sites, devices and permits in the fleet database, with an in-memory view the rules read
/// on every record.</summary>
public sealed class SiteRegistry : ISiteDirectory
{
    private readonly FleetDatabase _database;
    private readonly object _lock = new();
    // One reload or added device at a time, so an added device is never lost under a reload that read the database before it.
    private readonly Lock _loading = new();
    private Dictionary<string, SiteContext> _siteOfDevice = new(StringComparer.Ordinal);
    private Dictionary<string, SiteContext> _sites = new(StringComparer.Ordinal);
    private ProfileCatalog? _profiles;

    /// <param name="profiles">Taken so that the shipped and configured profiles are stored before sites are judged by them.</param>
    public SiteRegistry(FleetDatabase database, ProfileStore? profiles = null)
    {
        _database = database;
        lock (_loading) Load();
        // Another fleet instance registered or changed a site or device (Cluster/ChangeListener).
        database.OnAnnounced(Announcement, () => { lock (_loading) Load(); });
    }

    /// <summary>What this registry's changes are announced as to the other fleet instances.</summary>
    public const string Announcement = "sites";

    /// <summary>Read without the lock: the map is replaced whole on reload and never changed after, and the ingest and
    /// the rules ask for every message and record from two threads.</summary>
    public SiteContext? SiteOf(string device) => Volatile.Read(ref _siteOfDevice).GetValueOrDefault(device);

    /// <summary>The minute the site's first device was registered (0 when it has none).</summary>
    public long RegisteredMinute(string site)
    {
        using var connection = _database.Open();
        return connection.ExecuteScalar<long>("SELECT MIN(created_at) FROM devices WHERE site = @site", new { site }) / 60_000;
    }

    /// <summary>Devices bound to the site.</summary>
    public IReadOnlyList<string> DevicesOf(string site)
    {
        lock (_lock) return _sites.TryGetValue(site, out var context) ? context.Devices : [];
    }

    public Site AddSite(Site site)
    {
        if (Problems(site).FirstOrDefault() is { Message: { } problem }) throw new RefusalException(problem);
        using var connection = _database.Open();
        if (UnknownProfile(connection, null, site) is { } unknown) throw new RefusalException(unknown);
        if (UnknownParty(connection, null, site) is { } noParty) throw new RefusalException(noParty);
        if (!Insert(connection, null, site)) throw new RefusalException($"site {site.Id} already exists", StatusCodes.Status409Conflict);
        Reload();
        return site;
    }

    /// <summary>What is wrong with a site before it is stored, by field; empty when it can be stored.</summary>
    public static IEnumerable<(string Column, string Message)> Problems(Site site)
    {
        if (!WireProtocol.DeviceId().IsMatch(site.Id)) yield return ("id", $"site id must match {Iot.Contract.WireLimits.DeviceIdPattern}");
        if (string.IsNullOrWhiteSpace(site.Name)) yield return ("name", "site name is required");
        // Whether the profile exists only the database knows (profiles are data): UnknownProfile.
        if (string.IsNullOrWhiteSpace(site.Profile)) yield return ("profile", "say which rule profile judges the site (e.g. default)");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(site.Timezone, out _)) yield return ("timezone", $"unknown time zone '{site.Timezone}'");
        foreach (var hours in site.BusinessHours)
            if (!TimeOnly.TryParseExact(hours.From, "HH:mm", out _) || !TimeOnly.TryParseExact(hours.To, "HH:mm", out _))
                yield return ("business_hours", $"business hours must be HH:mm, not '{hours.From}'-'{hours.To}'");
        if (site.Lat is < -90 or > 90 || site.Lat is double.NaN) yield return ("lat", $"latitude {site.Lat} is outside -90..90");
        if (site.Lon is < -180 or > 180 || site.Lon is double.NaN) yield return ("lon", $"longitude {site.Lon} is outside -180..180");
        if (site.Lat is null != site.Lon is null) yield return (site.Lat is null ? "lat" : "lon", "give both latitude and longitude, or neither");
        foreach (var (column, value, max) in new[] { ("address", site.Address, 200), ("project", site.Project, 200), ("contact", site.Contact, 50) })
            if (value is { Length: var length } && length > max) yield return (column, $"{column} has {length} characters; at most {max}");
        if (site.Phone is { } phone && PhoneNumber.Problem(phone) is { } badPhone) yield return ("phone", badPhone);
        if (site.Party is { } party && UnifiedSocialCreditCode.Problem(party) is { } wrong) yield return ("party", wrong);
        if (site.CookingHeads is { } heads)
        {
            if (!site.AllKinds.Contains(SiteKind.Fume)) yield return ("cooking_heads", "cooking heads (灶头数) are counted for a kitchen (a fume site)");
            else if (heads is < 1 or > 500) yield return ("cooking_heads", $"{heads} cooking heads? a kitchen has 1 to 500");
        }
    }

    /// <summary>Stores sites and devices all together or not at all (bulk onboarding). The caller has
    /// checked each item; what only the database knows (ids taken) comes back as errors, with nothing stored.</summary>
    /// <param name="installer">The installer's login when an installer imports: devices then go only to sites
    /// <see cref="InstallerMayAddTo(string, string)"/> allows. Null for engineers and admins.</param>
    public IReadOnlyList<(string Table, int Index, string Column, string Message)> Import(IReadOnlyList<Site> sites, IReadOnlyList<(string Id, string Site)> devices, bool dryRun,
        string? installer = null, IReadOnlyList<(string Id, string Site, Action<DbConnection, DbTransaction> AlsoStore)>? monitors = null)
    {
        var errors = new List<(string, int, string, string)>();
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        var newSites = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sites.Count; i++)
        {
            if (!newSites.Add(sites[i].Id)) errors.Add(("sites", i, "id", $"site {sites[i].Id} appears twice in the import"));
            else if (UnknownProfile(connection, tx, sites[i]) is { } unknown) errors.Add(("sites", i, "profile", unknown));
            else if (UnknownParty(connection, tx, sites[i]) is { } noParty) errors.Add(("sites", i, "party", noParty));
            else if (!Insert(connection, tx, sites[i])) errors.Add(("sites", i, "id", $"site {sites[i].Id} already exists"));
        }
        var newDevices = new HashSet<string>(StringComparer.Ordinal);
        // Gateways and HJ 212 monitors are devices alike; a monitor also stores its own row (MN, password) in the transaction.
        var all = devices.Select((d, i) => (Table: "devices", Index: i, d.Id, d.Site, AlsoStore: (Action<DbConnection, DbTransaction>?)null))
            .Concat((monitors ?? []).Select((m, i) => (Table: "monitors", Index: i, m.Id, m.Site, AlsoStore: (Action<DbConnection, DbTransaction>?)m.AlsoStore)));
        foreach (var (table, i, id, site, alsoStore) in all)
        {
            if (!newDevices.Add(id)) errors.Add((table, i, "id", $"device {id} appears twice in the import"));
            else if (!newSites.Contains(site) && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }, tx) == 0)
                errors.Add((table, i, "site", $"site {site} is neither in the import nor in the fleet"));
            else if (installer is not null && !newSites.Contains(site) && !InstallerMayAddTo(connection, tx, site, installer))
                errors.Add((table, i, "site", InstallerRefusal(site)));
            else if (connection.Execute("INSERT INTO devices (id, site, created_at) VALUES (@id, @site, @now) ON CONFLICT (id) DO NOTHING",
                         new { id, site, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx) == 0)
                errors.Add((table, i, "id", $"device {id} already exists"));
            else
                try { alsoStore?.Invoke(connection, tx); }
                catch (RefusalException e) { errors.Add((table, i, "mn", e.Message)); }
        }
        if (errors.Count > 0 || dryRun)
        {
            tx.Rollback();
            return errors;
        }
        tx.Commit();
        Reload();
        return errors;
    }

    /// <summary>Why the site's profile cannot judge it (no such profile stored or shipped), or null when it can.</summary>
    private static string? UnknownProfile(DbConnection connection, DbTransaction? tx, Site site)
    {
        var catalog = ProfileStore.Load(connection, tx);
        return catalog.Versions(site.Profile) is null ? $"unknown profile '{site.Profile}'; profiles: {string.Join(", ", catalog.Ids.Order(StringComparer.Ordinal))}" : null;
    }

    private static bool Insert(DbConnection connection, DbTransaction? tx, Site site) =>
        connection.Execute(
            """
            INSERT INTO sites (id, name, kind, timezone, grid, profile, business_hours, lat, lon, address, party, contact, phone, cooking_heads, project, created_at)
            VALUES (@Id, @Name, @kind, @Timezone, @Grid, @Profile, @hours, @Lat, @Lon, @Address, @Party, @Contact, @Phone, @CookingHeads, @Project, @now)
            ON CONFLICT (id) DO NOTHING
            """,
            new { site.Id, site.Name, kind = Site.StoredKinds(site.AllKinds), site.Timezone, site.Grid, site.Profile,
                hours = JsonSerializer.Serialize(site.BusinessHours), site.Lat, site.Lon, site.Address, site.Party, site.Contact, site.Phone, site.CookingHeads,
                site.Project, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx) > 0;

    /// <summary>Why the site's liable party cannot be named (not in the register), or null.</summary>
    private static string? UnknownParty(DbConnection connection, DbTransaction? tx, Site site) =>
        site.Party is { } code && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM parties WHERE code = @code", new { code }, tx) == 0
            ? $"no liable party {code} in the register: add it first (POST /api/parties)"
            : null;

    /// <summary>
    /// Where an installer may bind a gateway: a site with no passed commissioning yet (it is still being installed), or
    /// one where this installer signed a passed commissioning (they installed there). A commissioned site of someone
    /// else's needs an engineer or admin. Either way the new gateway raises leads only after its own commissioning.
    /// </summary>
    public bool InstallerMayAddTo(string site, string installer)
    {
        using var connection = _database.Open();
        return InstallerMayAddTo(connection, null, site, installer);
    }

    private static bool InstallerMayAddTo(DbConnection connection, DbTransaction? tx, string site, string installer) =>
        connection.ExecuteScalar<long>(
            """
            SELECT NOT EXISTS (SELECT 1 FROM commissioning WHERE site = @site AND passed = 1)
                OR EXISTS (SELECT 1 FROM commissioning WHERE site = @site AND passed = 1 AND signed_by = @installer)
            """, new { site, installer }, tx) == 1;

    /// <summary>Why an installer cannot bind a gateway to the site (see <see cref="InstallerMayAddTo(string, string)"/>).</summary>
    public static string InstallerRefusal(string site) =>
        $"site {site} is commissioned by someone else; an installer adds gateways only to sites not yet commissioned or commissioned by themselves. Ask an engineer.";

    /// <param name="alsoStore">More rows that belong to the device (an HJ 212 monitor's MN), in the same transaction.</param>
    public Device AddDevice(string id, string? site, Action<DbConnection, DbTransaction>? alsoStore = null)
    {
        if (!WireProtocol.DeviceId().IsMatch(id)) throw new RefusalException($"device id must match {Iot.Contract.WireLimits.DeviceIdPattern}");
        using var connection = _database.Open();
        if (site is not null && connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }) == 0)
            throw new RefusalException($"site {site} does not exist");
        var now = DateTimeOffset.UtcNow;
        using var tx = connection.BeginTransaction();
        var inserted = connection.Execute("INSERT INTO devices (id, site, created_at) VALUES (@id, @site, @now) ON CONFLICT (id) DO NOTHING",
            new { id, site, now = now.ToUnixTimeMilliseconds() }, tx);
        if (inserted == 0) throw new RefusalException($"device {id} already exists", StatusCodes.Status409Conflict);
        alsoStore?.Invoke(connection, tx);
        tx.Commit();
        AddToView(id, site);
        return new Device(id, site, now);
    }

    /// <summary>Files a permit, or records one the permit office already approved (<paramref name="status"/> `approved`;
    /// the caller checks that only an admin may). The first step of its history names <paramref name="audit"/>'s actor.</summary>
    public NightWorkPermit AddPermit(string site, DateTimeOffset from, DateTimeOffset to, string status, string? reference, string? note, AuditScope audit)
    {
        if (to <= from) throw new RefusalException("a permit must end after it starts");
        if (status is not (PermitStatus.Filed or PermitStatus.Approved))
            throw new RefusalException($"a new permit is {PermitStatus.Filed} or {PermitStatus.Approved}, not '{status}'");
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }, tx) == 0)
            throw new RefusalException($"site {site} does not exist");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO permits (site, from_time, to_time, created_at, status, reference, note)
            VALUES (@site, @from, @to, @now, @status, @reference, @note) RETURNING id
            """,
            new { site, from = from.ToUnixTimeSeconds(), to = to.ToUnixTimeSeconds(), now, status, reference, note }, tx);
        AddStep(connection, tx, id, status, audit.Actor, now, null);
        var permit = ReadPermit(connection, tx, site, id)!;
        audit.Describe($"permit:{id}", null, permit).WriteIn(connection, tx);
        tx.Commit();
        Reload();
        return permit;
    }

    /// <summary>Moves a permit to <paramref name="status"/> (approve, refuse, revoke) if its current status allows it
    /// (<see cref="PermitStatus.Next"/>); a refusal or revocation needs a reason. Null when the site has no such permit.</summary>
    public NightWorkPermit? DecidePermit(string site, long id, string status, string? reason, AuditScope audit)
    {
        if (status is PermitStatus.Refused or PermitStatus.Revoked && string.IsNullOrWhiteSpace(reason))
            throw new RefusalException($"say why the permit is {status} (reason)");
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        if (ReadPermit(connection, tx, site, id) is not { } before) return null;
        if (!PermitStatus.Next(before.Status).Contains(status))
            throw new RefusalException(
                $"permit {id} is {before.Status}; it cannot become {status}" + (PermitStatus.Next(before.Status) is { Count: > 0 } next
                    ? $" (only {string.Join(" or ", next)})" : $" ({before.Status} is final)"), StatusCodes.Status409Conflict);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Guarded on the status read above: of two decisions at once, the second finds nothing to change and is refused.
        if (connection.Execute("UPDATE permits SET status = @status WHERE id = @id AND status = @from", new { id, status, from = before.Status }, tx) == 0)
            throw new RefusalException($"permit {id} changed meanwhile; read it again", StatusCodes.Status409Conflict);
        AddStep(connection, tx, id, status, audit.Actor, now, reason);
        var after = ReadPermit(connection, tx, site, id)!;
        audit.Describe($"permit:{id}", before, after, reason).WriteIn(connection, tx);
        tx.Commit();
        Reload();
        return after;
    }

    private static void AddStep(DbConnection connection, DbTransaction tx, long permit, string status, AuditActor by, long at, string? reason) =>
        connection.Execute("INSERT INTO permit_history (permit, status, by, by_kind, at, reason) VALUES (@permit, @status, @Name, @Kind, @at, @reason)",
            new { permit, status, by.Name, by.Kind, at, reason }, tx);

    /// <summary>One permit of the site with its history, or null.</summary>
    public NightWorkPermit? Permit(string site, long id)
    {
        using var connection = _database.Open();
        return ReadPermit(connection, null, site, id);
    }

    private static NightWorkPermit? ReadPermit(DbConnection connection, DbTransaction? tx, string site, long id) =>
        Permits(connection, tx, "WHERE p.site = @site AND p.id = @id", new { site, id }).FirstOrDefault();

    /// <summary>The site's permits by start of the span they allow (then id), with their history.</summary>
    public Page<NightWorkPermit> Permits(string site, PageRequest page)
    {
        using var connection = _database.Open();
        var total = connection.ExecuteScalar<long>("SELECT COUNT(*) FROM permits WHERE site = @site", new { site });
        var after = page.First ? "" : "AND (p.from_time > @k0 OR (p.from_time = @k0 AND p.id > @k1))";
        var rows = Permits(connection, null, $"WHERE p.site = @site {after} ORDER BY p.from_time, p.id LIMIT @limit",
            new { site, k0 = page.First ? 0 : page.Long(0), k1 = page.First ? 0 : page.Long(1), limit = page.Limit + 1 });
        return page.Of(rows, total, p => PageRequest.Cursor(p.From.ToUnixTimeSeconds(), p.Id), p => p);
    }

    private static List<NightWorkPermit> Permits(DbConnection connection, DbTransaction? tx, string where, object parameters)
    {
        var permits = connection.Query<(long id, string site, long from_time, long to_time, string status, string? reference, string? note)>(
            $"SELECT p.id, p.site, p.from_time, p.to_time, p.status, p.reference, p.note FROM permits p {where}", parameters, tx).ToList();
        if (permits.Count == 0) return [];
        var history = connection.Query<(long permit, string status, string by, long at, string? reason)>(
                "SELECT permit, status, by, at, reason FROM permit_history WHERE permit IN @ids ORDER BY id", new { ids = permits.Select(p => p.id) }, tx)
            .ToLookup(h => h.permit, h => new PermitStep(h.status, h.by, DateTimeOffset.FromUnixTimeMilliseconds(h.at), h.reason));
        return permits.Select(p => new NightWorkPermit(p.id, p.site, DateTimeOffset.FromUnixTimeSeconds(p.from_time), DateTimeOffset.FromUnixTimeSeconds(p.to_time),
            p.status, p.reference, p.note, [.. history[p.id]])).ToList();
    }

    public Site? GetSite(string id)
    {
        using var connection = _database.Open();
        return connection.QueryFirstOrDefault<SiteRow>($"SELECT {SiteColumns} FROM sites WHERE id = @id", new { id })?.ToSite();
    }

    /// <summary>The site as it stood at <paramref name="at"/> (its register history); null when there is no such site.</summary>
    public Site? GetSite(string id, DateTimeOffset at)
    {
        using var connection = _database.Open();
        return RegisterHistory.At<Site>(connection, RegisterHistory.Sites, id, at) ?? GetSite(id);
    }

    /// <summary>Every edit of the site, oldest first; null when there is no such site.</summary>
    public IReadOnlyList<RegisterChange>? History(string id)
    {
        using var connection = _database.Open();
        return connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @id", new { id }) == 0 ? null : RegisterHistory.Of(connection, RegisterHistory.Sites, id);
    }

    /// <summary>
    /// Edits a site's register entry, or moves it (its coordinates change: the history says `moved`). Its id and
    /// kinds stay: a different place or kind of monitoring is a new site. The snapshots before and after go into the register
    /// history with who and why, in the same transaction as the change and its audit entry. Refused with 409 when
    /// <see cref="SiteChange.Version"/> is given and the site was edited meanwhile, or another edit wins the race.
    /// </summary>
    public Site Edit(string id, SiteChange change, AuditScope audit)
    {
        if (string.IsNullOrWhiteSpace(change.Reason)) throw new RefusalException("say why the site changes (`reason`): its history keeps it");
        if (change.Reason.Length > 500) throw new RefusalException($"the reason has {change.Reason.Length} characters; at most 500");
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        var before = connection.QueryFirstOrDefault<SiteRow>($"SELECT {SiteColumns} FROM sites WHERE id = @id", new { id }, tx)?.ToSite()
            ?? throw RefusalException.NotFound("site", id);
        if (change.Version is { } expected && expected != before.Version)
            throw RefusalException.Conflict($"site {id} was edited meanwhile (version {before.Version}, not {expected}); read it again");
        var after = change.ApplyTo(before);
        if (RegisterHistory.Snapshot(after) == RegisterHistory.Snapshot(before)) return before;
        if (Problems(after).FirstOrDefault() is { Message: { } problem }) throw new RefusalException(problem);
        if (UnknownProfile(connection, tx, after) is { } unknown) throw new RefusalException(unknown);
        if (UnknownParty(connection, tx, after) is { } noParty) throw new RefusalException(noParty);
        after = after with { Version = before.Version + 1 };
        // Guarded on the version read above: of two edits at once, the second changes nothing and is refused.
        if (connection.Execute(
                """
                UPDATE sites SET name = @Name, timezone = @Timezone, grid = @Grid, profile = @Profile, business_hours = @hours, lat = @Lat, lon = @Lon,
                    address = @Address, party = @Party, contact = @Contact, phone = @Phone, cooking_heads = @CookingHeads, project = @Project, version = @Version
                WHERE id = @Id AND version = @old
                """,
                new { after.Id, after.Name, after.Timezone, after.Grid, after.Profile, hours = JsonSerializer.Serialize(after.BusinessHours), after.Lat, after.Lon,
                    after.Address, after.Party, after.Contact, after.Phone, after.CookingHeads, after.Project, after.Version, old = before.Version }, tx) == 0)
            throw RefusalException.Conflict($"site {id} was edited meanwhile; read it again");
        // Moved: its place changed (a corrected or added address alone is an edit).
        var moved = before.Lat != after.Lat || before.Lon != after.Lon;
        RegisterHistory.Add(connection, tx, RegisterHistory.Sites, id, moved ? "moved" : "edited", audit.Actor.Name, change.Reason, before, after);
        audit.Describe($"site:{id}", before, after, change.Reason).WriteIn(connection, tx);
        tx.Commit();
        Reload();
        return after;
    }

    public IReadOnlyList<Site> Sites()
    {
        using var connection = _database.Open();
        return connection.Query<SiteRow>($"SELECT {SiteColumns} FROM sites ORDER BY id").Select(r => r.ToSite()).ToList();
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

    /// <summary>A revoked device is offline from now on: the broker refuses its will, so only the fleet can say so.</summary>
    public void MarkOffline(string id)
    {
        using var connection = _database.Open();
        connection.Execute("INSERT INTO device_state (dev, online) VALUES (@id, 0) ON CONFLICT (dev) DO UPDATE SET online = 0", new { id });
    }

    /// <summary>Puts a just-stored device into the in-memory view without reading every site again, so registering a city's
    /// gateways one by one costs the same for the last as for the first. A site with a commissioning record (which may
    /// cover the new device) is read again whole.</summary>
    private void AddToView(string id, string? site)
    {
        if (site is null) return;
        lock (_loading)
        {
            SiteContext? context;
            lock (_lock) _sites.TryGetValue(site, out context);
            using (var connection = _database.Open())
                if (context is null || connection.ExecuteScalar<long>("SELECT COUNT(*) FROM commissioning WHERE site = @site", new { site }) > 0)
                {
                    Load();
                    _database.Announce(Announcement);
                    return;
                }
            if (context.Devices.Contains(id)) return;
            context.Devices = [.. context.Devices, id];
            var map = new Dictionary<string, SiteContext>(Volatile.Read(ref _siteOfDevice), StringComparer.Ordinal) { [id] = context };
            lock (_lock) Volatile.Write(ref _siteOfDevice, map);
        }
        _database.Announce(Announcement);
    }

    /// <summary>Reads sites and devices again after a change, and tells the other fleet instances to do the same.</summary>
    public void Reload()
    {
        lock (_loading) Load();
        _database.Announce(Announcement);
    }

    private void Load()
    {
        using var connection = _database.Open();
        var profiles = ProfileStore.Load(connection);
        var sites = connection.Query<SiteRow>($"SELECT {SiteColumns} FROM sites")
            .Select(r => r.ToSite())
            .ToDictionary(s => s.Id, s => Context(s, profiles));
        var devices = connection.Query<(string id, string site)>("SELECT id, site FROM devices WHERE site IS NOT NULL").ToList();
        var devicesOf = devices.ToLookup(d => d.site, d => d.id, StringComparer.Ordinal);
        foreach (var (site, context) in sites) context.Devices = devicesOf[site].ToList();
        // Approved permits count for the rules; a revoked one only up to its revocation (it counted until then); filed and
        // refused ones never.
        foreach (var permit in connection.Query<(long id, string site, long from_time, long to_time, long? revoked_at)>(
                         """
                         SELECT p.id, p.site, p.from_time, p.to_time,
                             (SELECT MIN(h.at) FROM permit_history h WHERE h.permit = p.id AND h.status = @revoked) AS revoked_at
                         FROM permits p WHERE p.status IN (@approved, @revoked) ORDER BY p.from_time, p.id
                         """, new { approved = PermitStatus.Approved, revoked = PermitStatus.Revoked })
                     .GroupBy(p => p.site))
            if (sites.TryGetValue(permit.Key, out var context))
                context.Permits = permit
                    .Select(p => new PermitSpan(p.id, DateTimeOffset.FromUnixTimeSeconds(p.from_time),
                        DateTimeOffset.FromUnixTimeSeconds(p.revoked_at is { } r ? Math.Min(p.to_time, (r + 999) / 1000) : p.to_time)))
                    .Where(p => p.To > p.From)
                    .ToList();
        // Commissioning counts per device: a checklist sign-off covers its own gateway; an admin record of a review covers
        // the gateways bound to the site when it was recorded (signed_at has whole seconds: that second counts as before).
        foreach (var covered in connection.Query<(string site, string device, long from)>(
                     """
                     SELECT d.site, d.id, MIN(c.valid_from) FROM commissioning c JOIN devices d ON d.site = c.site
                     WHERE c.passed = 1 AND (c.device = d.id OR (c.device IS NULL AND d.created_at < (c.signed_at + 1) * 1000))
                     GROUP BY d.id
                     """).GroupBy(d => d.site))
            if (sites.TryGetValue(covered.Key, out var context))
                context.CommissionedFrom = covered.ToDictionary(d => d.device, d => DateTimeOffset.FromUnixTimeSeconds(d.from), StringComparer.Ordinal);
        // Background noise corrects noise windows from its measurement on (GB 12523-2011, Rules/BackgroundCorrection).
        foreach (var measured in connection.Query<(long id, string site, double level, long measured_at, string measured_by, string? note)>(
                     "SELECT id, site, level, measured_at, measured_by, note FROM site_background ORDER BY measured_at, id").GroupBy(b => b.site))
            if (sites.TryGetValue(measured.Key, out var context))
                context.Backgrounds = measured.Select(b => new BackgroundLevel(b.id, b.site, b.level, DateTimeOffset.FromUnixTimeSeconds(b.measured_at), b.measured_by, b.note)).ToList();
        var map = devices.ToDictionary(d => d.id, d => sites[d.site], StringComparer.Ordinal);
        lock (_lock)
        {
            Volatile.Write(ref _siteOfDevice, map);
            _sites = sites;
            _profiles = profiles;
        }
    }

    /// <summary>What the rules know of a site: its profile now, and the schedule of versions and quiet periods that
    /// <see cref="SiteContext.ProfileAt"/> reads.</summary>
    private static SiteContext Context(Site site, ProfileCatalog profiles)
    {
        var schedule = profiles.ScheduleOf(site.Id, site.Profile);
        return new SiteContext(site.Id, site.Kind, TimeZoneInfo.FindSystemTimeZoneById(site.Timezone),
            ProfileSchedule.VersionAt(schedule.Versions, DateTimeOffset.UtcNow)) { Schedule = schedule, Kinds = site.AllKinds, BusinessHours = site.OpeningHours() };
    }

    /// <summary>A version of a profile as stored (what an old lead was judged by), or null.</summary>
    public RuleProfile? ProfileVersion(string id, int version)
    {
        lock (_lock) return _profiles?.Version(id, version);
    }

    private const string SiteColumns = "id, name, kind, timezone, grid, profile, business_hours, lat, lon, address, party, contact, phone, cooking_heads, project, version";

    private sealed record SiteRow(string id, string name, string kind, string timezone, string? grid, string profile, string business_hours, double? lat, double? lon,
        string? address, string? party, string? contact, string? phone, long? cooking_heads, string? project, long version)
    {
        public Site ToSite()
        {
            var kinds = Site.ParseKinds(kind);
            return new(id, name, kinds[0], timezone, grid, profile, JsonSerializer.Deserialize<List<BusinessHours>>(business_hours) ?? [], lat, lon,
                kinds.Count > 1 ? kinds : null, address, party, contact, phone, (int?)cooking_heads, project, version);
        }
    }
}
