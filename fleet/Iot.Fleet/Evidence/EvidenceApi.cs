using System.Text.Json.Serialization;
using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Rules;

namespace Iot.Fleet.Evidence;

/// <summary>What the audit log records of an export: the bundle's digest and who exported it (the actor of the entry).</summary>
/// <remarks>Names pinned in snake_case: the audit log's record of an export, hashed into the chain. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record EvidenceExportRecord(
    long Lead,
    [property: JsonPropertyName("bundle_sha256")] string BundleSha256,
    long Bytes,
    [property: JsonPropertyName("manifest_sha256")] string ManifestSha256,
    [property: JsonPropertyName("key_fingerprint")] string KeyFingerprint);

/// <summary>
/// GET /api/leads/{id}/evidence.zip: the signed evidence bundle of an enforcement lead, for inspectors and admins; every
/// export is in the audit log (`evidence.export`, with the bundle's SHA-256). GET /api/evidence/key: the evidence keys,
/// current and retired, for anyone (a public key is public: a court or a party checks bundles against it).
/// POST /api/evidence/key/rotate: a new key (admins).
/// </summary>
public static class EvidenceApi
{
    public static void MapEvidenceApi(this IEndpointRouteBuilder app)
    {
        // Made on first start, not on the first export: the key is published before any bundle needs it.
        _ = app.ServiceProvider.GetRequiredService<EvidenceKeys>().Current;
        app.MapGet("/api/leads/{id:long}/evidence.zip", (long id, HttpContext http, EvidenceExport export, AuditLog audit) =>
            {
                var actor = AuditActor.Of(http.User);
                if (export.Export(id, actor.Name) is not { } bundle)
                    throw RefusalException.NotFound("enforcement lead", id);
                // A bundle whose export cannot be recorded is not handed out.
                audit.Record(actor, "evidence.export", $"lead:{id}", null,
                    new EvidenceExportRecord(id, bundle.Sha256, bundle.Zip.LongLength, bundle.ManifestSha256, bundle.KeyFingerprint));
                http.Response.Headers["X-Evidence-Sha256"] = bundle.Sha256;
                return TypedResults.File(bundle.Zip, "application/zip", $"lead-{id}-evidence.zip");
            })
            .WithTags("Evidence")
            .RequireRoles(Roles.LeadHandling);
        app.MapGet("/api/evidence/key", (EvidenceKeys keys) => keys.List())
            .WithTags("Evidence")
            .AllowAnonymous();
        app.MapPost("/api/evidence/key/rotate", (HttpContext http, EvidenceKeys keys) =>
            {
                var (old, current) = keys.Rotate();
                AuditScope.Of(http).Describe($"evidence-key:{current.Fingerprint}", old, current);
                return TypedResults.Ok(keys.List());
            })
            .WithTags("Evidence")
            .RequireRoles(Roles.Admin)
            .Audited("evidence.key_rotate");
    }
}
