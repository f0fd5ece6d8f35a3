using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Rules;

/// <summary>Configuration section `Profiles`: profiles by id, each a <see cref="ProfileDefinition"/>.</summary>
public sealed class ProfilesOptions : Dictionary<string, ProfileDefinition>
{
    public ProfilesOptions() : base(StringComparer.OrdinalIgnoreCase) { }
}

/// <summary>Where a profile's versions come from; a configured profile changes only in configuration.</summary>
public static class ProfileOrigins
{
    public const string Shipped = "shipped";
    public const string Configuration = "configuration";
    public const string Api = "api";
}

/// <summary>One version as the API shows it (night hours as local HH:mm).</summary>
/// <remarks>Names pinned in snake_case: also the profile in lead.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record ProfileVersionView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("valid_from")] DateTime ValidFrom,
    [property: JsonPropertyName("night_starts")] string NightStarts,
    [property: JsonPropertyName("night_ends")] string NightEnds,
    [property: JsonPropertyName("fog_humidity")] double FogHumidity,
    [property: JsonPropertyName("rules")] IReadOnlyDictionary<string, RuleSetting> Rules)
{
    public static ProfileVersionView Of(RuleProfile p) => new(p.Id, p.Version, p.Name, p.Source, p.ValidFrom.UtcDateTime,
        p.NightStarts.ToString("HH:mm"), p.NightEnds.ToString("HH:mm"), p.FogHumidity, p.Rules);
}

/// <summary>A profile with the version in force now and every version, oldest first.</summary>
/// <remarks>Names pinned in snake_case: also the profile in lead.json of the signed evidence bundle. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record ProfileView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("current")] ProfileVersionView Current,
    [property: JsonPropertyName("versions")] IReadOnlyList<ProfileVersionView> Versions);

/// <summary>A quiet period of a site: from, to (UTC), the profile that judges the site meanwhile, and why.</summary>
/// <remarks>Names pinned in snake_case: also the audit log's snapshot of it, hashed into the chain. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record QuietPeriod(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("site")] string Site,
    [property: JsonPropertyName("from")] DateTimeOffset From,
    [property: JsonPropertyName("to")] DateTimeOffset To,
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("created_by")] string CreatedBy,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt);

/// <summary>Every profile version and quiet period, read at once; what the registry builds its sites' schedules from.</summary>
public sealed class ProfileCatalog(IReadOnlyDictionary<string, IReadOnlyList<RuleProfile>> versions, IReadOnlyDictionary<string, string> origins,
    ILookup<string, QuietPeriod> quiet)
{
    /// <summary>Profile ids, as stored.</summary>
    public IEnumerable<string> Ids => versions.Keys;

    /// <summary>The profile's versions, oldest first, or null for an unknown id (ids match whatever their case).</summary>
    public IReadOnlyList<RuleProfile>? Versions(string id) => versions.GetValueOrDefault(id);

    public string Origin(string id) => origins.GetValueOrDefault(id, ProfileOrigins.Shipped);

    /// <summary>Version <paramref name="version"/> of the profile, or null.</summary>
    public RuleProfile? Version(string id, int version) => Versions(id)?.FirstOrDefault(p => p.Version == version);

    /// <summary>The version in force at <paramref name="time"/>, or null for an unknown id.</summary>
    public RuleProfile? At(string id, DateTimeOffset time) => Versions(id) is { } v ? ProfileSchedule.VersionAt(v, time) : null;

    public IEnumerable<QuietPeriod> QuietPeriods(string site) => quiet[site];

    /// <summary>The schedule of a site judged by <paramref name="profile"/>; an unknown profile judges as the default.</summary>
    public ProfileSchedule ScheduleOf(string site, string profile) =>
        new(Versions(profile) ?? Versions(RuleProfile.Default.Id)!,
            [.. QuietPeriods(site).Select(q => new QuietSpan(q.From, q.To, Versions(q.Profile) ?? Versions(RuleProfile.Default.Id)!))]);

    public ProfileView View(string id, DateTimeOffset now)
    {
        var all = Versions(id)!;
        return new ProfileView(all[0].Id, Origin(id), ProfileVersionView.Of(ProfileSchedule.VersionAt(all, now)), [.. all.Select(ProfileVersionView.Of)]);
    }
}

/// <summary>
/// Profiles in the fleet database (table `rule_profiles`, one row per version) and sites' quiet periods. On start the
/// shipped profiles are stored as version 1 when missing, and each configured profile (section `Profiles`) is stored,
/// or gets a new version when its configuration changed. Through the API, engineers create profiles and versions;
/// a version applies from its `valid_from`, which is never in the past: windows already judged keep their version.
/// </summary>
public sealed class ProfileStore
{
    /// <summary>How far in the past a new version's `valid_from` may be (clocks of callers differ a little).</summary>
    public static readonly TimeSpan ValidFromTolerance = TimeSpan.FromMinutes(1);

    private readonly FleetDatabase _database;
    private readonly TimeProvider _clock;

    public ProfileStore(FleetDatabase database, IOptions<ProfilesOptions> options, TimeProvider clock, AuditLog? audit = null)
    {
        _database = database;
        _clock = clock;
        Seed(options.Value, audit);
    }

    /// <summary>Every profile and quiet period; the shipped profiles even before they are stored.</summary>
    public static ProfileCatalog Load(DbConnection connection, DbTransaction? tx = null)
    {
        var rows = connection.Query<VersionRow>(
            "SELECT id, version, name, source, origin, valid_from, night_starts, night_ends, fog_humidity, rules FROM rule_profiles ORDER BY id, version",
            transaction: tx).ToList();
        var versions = rows.GroupBy(r => r.id, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, IReadOnlyList<RuleProfile> (g) => [.. g.Select(r => r.ToProfile())], StringComparer.OrdinalIgnoreCase);
        var origins = rows.GroupBy(r => r.id, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().origin, StringComparer.OrdinalIgnoreCase);
        foreach (var shipped in RuleProfile.Shipped) versions.TryAdd(shipped.Id, [shipped]);
        var quiet = connection.Query<QuietRow>("SELECT id, site, from_time, to_time, profile, reason, created_by, created_at FROM quiet_periods ORDER BY from_time, id",
            transaction: tx).Select(q => q.ToPeriod()).ToLookup(q => q.Site, StringComparer.Ordinal);
        return new ProfileCatalog(versions, origins, quiet);
    }

    public ProfileCatalog Catalog()
    {
        using var connection = _database.Open();
        return Load(connection);
    }

    /// <summary>Creates a profile (version 1) from the definition on top of its `based_on` profile. Null with the problems
    /// by field when it cannot be stored; a taken id is a conflict.</summary>
    public RuleProfile? Create(ProfileDefinition definition, AuditScope audit, Dictionary<string, string[]> problems)
    {
        var id = definition.Id?.Trim() ?? "";
        if (!ProfileDefinition.IdPattern().IsMatch(id))
            problems["id"] = [$"a profile id is 1…40 lower-case letters, digits, '-' or '_', starting with a letter or digit, not '{definition.Id}'"];
        if (string.IsNullOrWhiteSpace(definition.Name)) problems["name"] = ["say what the profile is (name)"];
        if (string.IsNullOrWhiteSpace(definition.Source)) problems["source"] = ["say which standard or notice the numbers come from (source: number and title)"];
        if (definition.ValidFrom is not null)
            problems["validFrom"] = ["version 1 of a profile holds from the start; to change a profile from a date, add a version"];
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        var catalog = Load(connection, tx);
        var basisId = definition.BasedOn ?? RuleProfile.Default.Id;
        var basis = catalog.At(basisId, _clock.GetUtcNow());
        if (basis is null) problems["basedOn"] = [$"unknown profile '{basisId}'; profiles: {string.Join(", ", catalog.Ids.Order())}"];
        var profile = definition.Resolve(basis ?? RuleProfile.Default, id, 1, DateTimeOffset.UnixEpoch, problems);
        if (profile is null || problems.Count > 0) return null;
        if (catalog.Versions(id) is not null) throw new RefusalException($"profile {id} already exists; add a version to change it", StatusCodes.Status409Conflict);
        Insert(connection, tx, profile, ProfileOrigins.Api, audit.Actor.Name);
        audit.Describe($"profile:{id}", null, ProfileVersionView.Of(profile)).WriteIn(connection, tx);
        tx.Commit();
        return profile;
    }

    /// <summary>Adds the next version of a profile, from its `valid_from` on; what the definition leaves out stays as the
    /// latest version has it. Null with the problems by field; an unknown profile is a 404 for the caller (null, no problems).</summary>
    public RuleProfile? AddVersion(string id, ProfileDefinition definition, AuditScope audit, Dictionary<string, string[]> problems)
    {
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        var catalog = Load(connection, tx);
        if (catalog.Versions(id) is not { } versions) return null;
        var latest = versions[^1];
        if (catalog.Origin(id) == ProfileOrigins.Configuration)
            throw new RefusalException($"profile {latest.Id} comes from configuration (Profiles:{latest.Id}); change it there", StatusCodes.Status409Conflict);
        if (definition.Id is { } given && !string.Equals(given, latest.Id, StringComparison.OrdinalIgnoreCase))
            problems["id"] = [$"this is a version of {latest.Id}, not of '{given}'"];
        if (definition.BasedOn is not null) problems["basedOn"] = [$"a version builds on the latest version of {latest.Id}; basedOn is for new profiles"];
        var now = _clock.GetUtcNow();
        if (definition.ValidFrom is not { } validFrom)
        {
            problems["validFrom"] = ["say from when the version applies (validFrom, e.g. 2027-06-07T00:00:00+08:00)"];
            validFrom = now;
        }
        else if (validFrom < now - ValidFromTolerance)
            problems["validFrom"] = [$"a version applies from now or later, not from {validFrom:O}: windows already judged keep the version they were judged by"];
        else if (validFrom <= latest.ValidFrom)
            problems["validFrom"] = [$"version {latest.Version} applies from {latest.ValidFrom:O}; a new version must start after it"];
        var profile = definition.Resolve(latest, latest.Id, latest.Version + 1, validFrom, problems);
        if (profile is null || problems.Count > 0) return null;
        Insert(connection, tx, profile, ProfileOrigins.Api, audit.Actor.Name);
        audit.Describe($"profile:{latest.Id}", ProfileVersionView.Of(latest), ProfileVersionView.Of(profile)).WriteIn(connection, tx);
        tx.Commit();
        return profile;
    }

    /// <summary>Adds a quiet period to a site. Null with the problems by field; a missing site is a 404 for the caller
    /// (null, no problems). Quiet periods of one site do not overlap, so one profile judges each minute.</summary>
    public QuietPeriod? AddQuietPeriod(string site, DateTimeOffset? from, DateTimeOffset? to, string? profile, string? reason, AuditScope audit,
        Dictionary<string, string[]> problems)
    {
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sites WHERE id = @site", new { site }, tx) == 0) return null;
        var catalog = Load(connection, tx);
        if (from is null) problems["from"] = ["say when the quiet period starts (from)"];
        if (to is null) problems["to"] = ["say when the quiet period ends (to)"];
        else if (from is not null && to <= from) problems["to"] = ["a quiet period ends after it starts"];
        if (string.IsNullOrWhiteSpace(profile)) problems["profile"] = ["say which profile judges the site meanwhile (profile)"];
        else if (catalog.Versions(profile) is null) problems["profile"] = [$"unknown profile '{profile}'; profiles: {string.Join(", ", catalog.Ids.Order())}"];
        if (string.IsNullOrWhiteSpace(reason)) problems["reason"] = ["say why (reason), e.g. 中高考禁噪期 2027"];
        else if (reason.Length > 500) problems["reason"] = ["the reason is at most 500 characters"];
        if (from is not null && to is not null && catalog.QuietPeriods(site).FirstOrDefault(q => q.From < to && q.To > from) is { } other)
            problems["from"] = [$"overlaps quiet period {other.Id} ({other.From:O} – {other.To:O}); one profile judges each minute"];
        if (problems.Count > 0) return null;
        var by = audit.Actor.Name;
        var now = _clock.GetUtcNow();
        var id = connection.ExecuteScalar<long>(
            """
            INSERT INTO quiet_periods (site, from_time, to_time, profile, reason, created_at, created_by)
            VALUES (@site, @from, @to, @profile, @reason, @now, @by) RETURNING id
            """,
            new { site, from = from!.Value.ToUnixTimeSeconds(), to = to!.Value.ToUnixTimeSeconds(), profile = catalog.Versions(profile!)![0].Id,
                reason = reason!.Trim(), now = now.ToUnixTimeMilliseconds(), by }, tx);
        var period = Load(connection, tx).QuietPeriods(site).Single(q => q.Id == id);
        audit.Describe($"site:{site}", null, period).WriteIn(connection, tx);
        tx.Commit();
        return period;
    }

    /// <summary>Stores the shipped profiles that are missing and applies the configured ones; a configured profile that
    /// cannot be stored stops the start, saying why.</summary>
    private void Seed(ProfilesOptions configured, AuditLog? audit)
    {
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        foreach (var shipped in RuleProfile.Shipped)
            if (!Stored(connection, tx, shipped.Id))
                Insert(connection, tx, shipped, ProfileOrigins.Shipped, "fleet");
        var now = _clock.GetUtcNow();
        foreach (var (key, definition) in configured)
        {
            var catalog = Load(connection, tx);
            var problems = new Dictionary<string, string[]>();
            var id = definition.Id ?? key;
            if (!ProfileDefinition.IdPattern().IsMatch(id)) problems["id"] = [$"'{id}' is not a profile id (lower-case letters, digits, '-', '_')"];
            if (string.IsNullOrWhiteSpace(definition.Name)) problems["name"] = ["required"];
            if (string.IsNullOrWhiteSpace(definition.Source)) problems["source"] = ["required: the standard's number and title"];
            var basisId = definition.BasedOn ?? RuleProfile.Default.Id;
            var basis = catalog.At(basisId, now);
            if (basis is null) problems["basedOn"] = [$"unknown profile '{basisId}'"];
            var existing = catalog.Versions(id);
            if (existing is not null && Stored(connection, tx, id) && catalog.Origin(id) != ProfileOrigins.Configuration)
                problems["id"] = [$"profile {id} was not configured but {catalog.Origin(id)}; give the configured profile an id of its own"];
            var latest = existing?[^1];
            var validFrom = latest is null ? DateTimeOffset.UnixEpoch : definition.ValidFrom ?? now;
            var profile = definition.Resolve(basis ?? RuleProfile.Default, id, (latest?.Version ?? 0) + 1, validFrom, problems);
            if (profile is not null && latest is not null && profile.JudgesLike(latest) && profile.Name == latest.Name && profile.Source == latest.Source)
                continue;
            if (latest is not null && problems.Count == 0)
            {
                if (validFrom < now - ValidFromTolerance) problems["validFrom"] = [$"the changed profile would apply from {validFrom:O}, in the past; set ValidFrom to now or later"];
                else if (validFrom <= latest.ValidFrom) problems["validFrom"] = [$"must be after version {latest.Version}'s {latest.ValidFrom:O}"];
            }
            if (problems.Count > 0)
                throw new InvalidOperationException($"configuration Profiles:{key} cannot be used: "
                                                    + string.Join("; ", problems.Select(p => $"{p.Key}: {string.Join(" ", p.Value)}")));
            Insert(connection, tx, profile!, ProfileOrigins.Configuration, "configuration");
            audit?.Write(connection, tx, AuditActor.System("configuration"), latest is null ? "profile.create" : "profile.version", $"profile:{id}",
                latest is null ? null : ProfileVersionView.Of(latest), ProfileVersionView.Of(profile!), "from configuration section Profiles");
        }
        tx.Commit();
    }

    private static bool Stored(DbConnection connection, DbTransaction tx, string id) =>
        connection.ExecuteScalar<long>("SELECT COUNT(*) FROM rule_profiles WHERE lower(id) = lower(@id)", new { id }, tx) > 0;

    private void Insert(DbConnection connection, DbTransaction tx, RuleProfile p, string origin, string by) =>
        connection.Execute(
            """
            INSERT INTO rule_profiles (id, version, name, source, origin, valid_from, night_starts, night_ends, fog_humidity, rules, created_at, created_by)
            VALUES (@Id, @Version, @Name, @Source, @origin, @validFrom, @starts, @ends, @FogHumidity, @rules, @now, @by)
            """,
            new
            {
                p.Id, p.Version, p.Name, p.Source, origin, validFrom = p.ValidFrom.ToUnixTimeSeconds(), starts = p.NightStarts.ToString("HH:mm"),
                ends = p.NightEnds.ToString("HH:mm"), p.FogHumidity, rules = JsonSerializer.Serialize(p.Rules), now = _clock.GetUtcNow().ToUnixTimeMilliseconds(), by,
            }, tx);

    private sealed record VersionRow(string id, long version, string name, string source, string origin, long valid_from, string night_starts, string night_ends,
        double fog_humidity, string rules)
    {
        public RuleProfile ToProfile() => new()
        {
            Id = id, Version = (int)version, Name = name, Source = source, ValidFrom = DateTimeOffset.FromUnixTimeSeconds(valid_from),
            NightStarts = TimeOnly.ParseExact(night_starts, "HH:mm"), NightEnds = TimeOnly.ParseExact(night_ends, "HH:mm"), FogHumidity = fog_humidity,
            Rules = JsonSerializer.Deserialize<Dictionary<string, RuleSetting>>(rules)!,
        };
    }

    private sealed record QuietRow(long id, string site, long from_time, long to_time, string profile, string reason, string created_by, long created_at)
    {
        public QuietPeriod ToPeriod() => new(id, site, DateTimeOffset.FromUnixTimeSeconds(from_time), DateTimeOffset.FromUnixTimeSeconds(to_time), profile,
            reason, created_by, DateTimeOffset.FromUnixTimeMilliseconds(created_at));
    }
}
