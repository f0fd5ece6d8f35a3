using Iot.Fleet.Api;
using Iot.Fleet.Audit;
using Iot.Fleet.People;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Ingest;

/// <summary>Answer of POST /api/devices/{id}/evidence-key: the key, shown once (put it in the gateway's settings).</summary>
public sealed record EvidenceKeyIssued(string Device, long KeyId, string Key, DateTime CreatedAt);

/// <summary>GET /api/devices/{id}/records/{seq}/message: the raw message that brought a record, its proof, and
/// whether the proof checks again now (the payload is base64 in JSON).</summary>
public sealed record RawMessageView(long Id, string Topic, byte[] Payload, DateTime ReceivedAt, string? Proof, string? Mac, long? KeyId, int? SignedLength, bool ProofChecks);

/// <summary>Evidence keys of directly registered gateways, and the raw message with its proof behind a record.</summary>
public static class DeviceKeysApi
{
    public static void MapDeviceKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Ingest");
        // A gateway registered directly (POST /api/devices) gets its evidence key here, shown once; asking again makes a new
        // key and retires the old one (the gateway must be given the new key, or its telemetry is rejected).
        api.MapPost("/devices/{id}/evidence-key", (string id, HttpContext http, SiteRegistry registry, DeviceKeys keys) =>
            {
                if (registry.View(id) is null) throw RefusalException.NotFound("device", id);
                var previous = keys.Current(id);
                var key = keys.Issue(id, "api");
                AuditScope.Of(http).Describe($"device:{id}", new { evidence_key = previous?.Id }, new { evidence_key = key.Id });
                return TypedResults.Ok(new EvidenceKeyIssued(id, key.Id, key.Hex, key.CreatedAt.UtcDateTime));
            })
            .RequireRoles(Roles.Issuing).Audited("device.evidence_key");
        api.MapGet("/devices/{id}/records/{seq:long}/message", (string id, long seq, RecordJournal journal, DeviceKeys keys) =>
            {
                if (seq is < 0 or > uint.MaxValue || journal.MessageOf(id, (uint)seq) is not { } m)
                    throw RefusalException.NotFound("record", $"{id}/{seq}");
                return TypedResults.Ok(new RawMessageView(m.Id, m.Topic, m.Payload, m.ReceivedAt.UtcDateTime, m.Proof?.Status, m.Proof?.Mac, m.Proof?.KeyId,
                    m.Proof?.SignedLength, keys.Recheck(m)));
            })
            .RequireRoles(Roles.Engineer);
    }
}
