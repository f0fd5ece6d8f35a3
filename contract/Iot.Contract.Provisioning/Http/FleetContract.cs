using System.Text.Json;
using System.Text.Json.Serialization;

namespace Iot.Contract.Http;

// The provisioning API between iot-prov (and the fleet's installer page) and the fleet, documented in
// provisioning/README.md. Names are camelCase, the fleet API's one casing, and pinned with attributes so that
// a rename in C# cannot change the contract. Errors are RFC 9457 problem details ({title, status, detail}).

/// <summary>One entry of POST /api/factory/devices (a JSON array of these). The fleet stores hashes only.</summary>
public sealed record FactoryDevice(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("claimCode")] string ClaimCode,
    [property: JsonPropertyName("bootstrapSecret")] string BootstrapSecret);

/// <summary>Answer of POST /api/factory/devices (201).</summary>
public sealed record FactoryUploadResult([property: JsonPropertyName("created")] int Created);

/// <summary>A span of opening hours, local time, HH:mm.</summary>
public sealed record HoursSpan(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To);

/// <summary>A site to create: a restaurant kitchen or a construction site. Coordinates are WGS-84 degrees. The register fields
/// (address, liable party by unified social credit code, on-site contact and phone, a kitchen's cooking heads, the construction
/// project) are optional; the party must already be in the fleet's register.</summary>
public sealed record SiteSpec(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("lat")] double Lat,
    [property: JsonPropertyName("lon")] double Lon,
    [property: JsonPropertyName("grid")] string? Grid = null,
    [property: JsonPropertyName("businessHours")] IReadOnlyList<HoursSpan>? BusinessHours = null,
    [property: JsonPropertyName("profile")] string? Profile = null,
    [property: JsonPropertyName("timezone")] string? Timezone = null,
    [property: JsonPropertyName("address")] string? Address = null,
    [property: JsonPropertyName("party")] string? Party = null,
    [property: JsonPropertyName("contact")] string? Contact = null,
    [property: JsonPropertyName("phone")] string? Phone = null,
    [property: JsonPropertyName("cookingHeads")] int? CookingHeads = null,
    [property: JsonPropertyName("project")] string? Project = null);

/// <summary>Body of POST /api/claims: a claim code and either an existing site or a new one.</summary>
public sealed record ClaimRequest(
    [property: JsonPropertyName("claimCode")] string ClaimCode,
    [property: JsonPropertyName("siteId")] string? SiteId,
    [property: JsonPropertyName("site")] SiteSpec? Site);

/// <summary>Answer of POST /api/claims (201): the gateway now belongs to the site.</summary>
public sealed record ClaimResult(
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("siteId")] string SiteId);

/// <summary>GET /api/devices/{id}/commissioning: the checklist an installer must see pass before leaving.</summary>
public sealed record CommissioningReport(
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("complete")] bool Complete,
    [property: JsonPropertyName("checks")] IReadOnlyList<CommissioningCheck> Checks);

/// <summary>One line of the checklist; <see cref="Status"/> is "pass", "fail" or "pending".</summary>
public sealed record CommissioningCheck(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("detail")] string? Detail = null)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Pending = "pending";

    /// <summary>The checks the fleet is expected to report, by name.</summary>
    public static readonly IReadOnlyList<string> Expected = ["own_credentials", "clock_synced", "channels", "signal", "store_drained"];
}

/// <summary>A gateway to put on a site, one row of devices.csv.</summary>
public sealed record DeviceAssignment(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("site")] string Site);

/// <summary>A third-party HJ 212 monitor to put on a site, registered as POST /api/devices with protocol hj212 would
/// (the same fields; `sm4Key` named as there).</summary>
public sealed record MonitorAssignment(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("site")] string Site,
    [property: JsonPropertyName("mn")] string? Mn,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("profile")] string? Profile = null,
    [property: JsonPropertyName("sm4Key")] string? Sm4Key = null);

/// <summary>Body of POST /api/import?dry_run=true|false. The fleet applies all of it or nothing.</summary>
public sealed record ImportRequest(
    [property: JsonPropertyName("sites")] IReadOnlyList<SiteSpec> Sites,
    [property: JsonPropertyName("devices")] IReadOnlyList<DeviceAssignment> Devices,
    [property: JsonPropertyName("monitors")] IReadOnlyList<MonitorAssignment>? Monitors = null);

/// <summary>Answer of POST /api/import (200): what was (or, on a dry run, would be) created.</summary>
public sealed record ImportResult(
    [property: JsonPropertyName("dryRun")] bool DryRun,
    [property: JsonPropertyName("sites")] int Sites,
    [property: JsonPropertyName("devices")] int Devices,
    [property: JsonPropertyName("monitors")] int Monitors = 0);

/// <summary>
/// One refused item of an import (422 answer, in the problem's "errors" array): <see cref="Table"/> is
/// "sites" or "devices", <see cref="Index"/> the 0-based position in that array, <see cref="Column"/> the field.
/// </summary>
public sealed record ImportItemError(
    [property: JsonPropertyName("table")] string Table,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("column")] string? Column,
    [property: JsonPropertyName("message")] string Message);

/// <summary>An error answer: problem details, with per-item errors on a refused import.</summary>
public sealed record FleetProblem(
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("errors")] IReadOnlyList<ImportItemError>? Errors = null);

/// <summary>The serializer settings of the contract: nulls are left out.</summary>
public static class FleetJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
