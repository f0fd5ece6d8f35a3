using Iot.Fleet.Leads;
using Iot.Fleet.People;
using Microsoft.AspNetCore.Authorization;

namespace Iot.Fleet.Api;

/// <summary>The four roles and who may do what (the matrix in README.md). Admin may always.</summary>
public static class Roles
{
    public const string Installer = "installer";
    public const string Inspector = "inspector";
    public const string Engineer = "engineer";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Installer, Inspector, Engineer, Admin];

    /// <summary>Reads of sites, devices and integrity alerts.</summary>
    public static readonly string[] Any = [Installer, Inspector, Engineer, Admin];

    /// <summary>Creating sites, claiming gateways, commissioning. An installer binds gateways only to sites it may
    /// install at (<c>SiteRegistry.InstallerMayAddTo</c>).</summary>
    public static readonly string[] Installing = [Installer, Engineer];

    /// <summary>Registering devices directly and issuing or replacing their broker credentials, reinstating a revoked
    /// device. An installer's gateway gets its credentials only through the claim of the gateway in hand.</summary>
    public static readonly string[] Issuing = [Engineer];

    /// <summary>Reading enforcement leads, their stream, cases, reports and the notification outbox. Not installers:
    /// their page needs none of it.</summary>
    public static readonly string[] LeadReading = [Inspector, Engineer];

    /// <summary>Night-work permits.</summary>
    public static readonly string[] Permitting = [Inspector];

    /// <summary>Handling enforcement leads (confirm, dismiss, close).</summary>
    public static readonly string[] LeadHandling = [Inspector];

    /// <summary>Firmware releases and OTA campaigns (`/api/releases`, `/api/campaigns`).</summary>
    public static readonly string[] Releasing = [Engineer];

    /// <summary>Rule profiles and their versions (`POST /api/profiles`, `POST /api/profiles/{id}/versions`).</summary>
    public static readonly string[] Profiling = [Engineer];

    /// <summary>Quiet periods of a site: another profile for a span, e.g. the weeks of the national exams (中高考禁噪期).</summary>
    public static readonly string[] Quieting = [Inspector, Engineer];

    /// <summary>The meter register: meters a gateway reads, their type approval and calibration certificates.</summary>
    public static readonly string[] Metering = [Engineer];

    /// <summary>The complaints register (投诉举报台账): recording, reading and answering complaints from the public. They name
    /// the complainant (personal data), so only those who handle cases; engineers and installers need none of it.</summary>
    public static readonly string[] Complaints = [Inspector];

    /// <summary>Recording that a lead's notice (告知书) was served on the party.</summary>
    public static readonly string[] Serving = [Inspector];

    /// <summary>Keeping the registers (台账): liable parties, and editing or moving a site.</summary>
    public static readonly string[] Registering = [Inspector, Engineer];

    /// <summary>Publishing a site as a monitoring point (its district and address on the public list).</summary>
    public static readonly string[] Publishing = [Inspector, Engineer];

    /// <summary>Handling integrity alerts: acknowledge, resolve.</summary>
    public static readonly string[] Maintaining = [Engineer];

    /// <summary>Reading the audit log.</summary>
    public static readonly string[] Auditing = [Engineer];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);

    /// <summary>True when a person with <paramref name="role"/> may do what <paramref name="allowed"/> allows.</summary>
    public static bool Allows(string role, IEnumerable<string> allowed) => role == Admin || allowed.Contains(role, StringComparer.Ordinal);

    /// <summary>The authorization policy behind <see cref="RequireRoles{TBuilder}"/>: signed in, with one of the roles or admin.</summary>
    public static AuthorizationPolicy Policy(params string[] roles) =>
        new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(roles.Append(Admin).Distinct()).Build();

    /// <summary>Only signed-in callers with one of <paramref name="roles"/> (or admin) reach the endpoint;
    /// others get 401 or 403 as problem details.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var role in roles)
            if (!IsKnown(role)) throw new ArgumentException($"unknown role '{role}'", nameof(roles));
        return builder.RequireAuthorization(Policy(roles)).WithMetadata(new RequiredRoles([.. roles.Append(Admin).Distinct()]));
    }
}

/// <summary>Endpoint metadata naming the roles an endpoint admits, so a 403 can say which.</summary>
public sealed record RequiredRoles(IReadOnlyList<string> Roles);
