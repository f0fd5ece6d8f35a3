using Dapper;
using Iot.Contract;
using Iot.Evidence;
using Iot.Fleet.Ingest;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Evidence;

/// <summary>
/// The device proofs the ingest kept with each raw message (messages.proof, mac, key_id, signed_length) as the
/// bundle carries them: HMAC-SHA256 over the payload's bytes before its closing `,"mac":"…"}` (scope
/// "envelope-prefix:N"), verified at ingest. Unproven messages (a device without a key) have no proof to carry.
/// </summary>
public sealed class StoredDeviceProofs(FleetDatabase database) : IDeviceProofs
{
    public IReadOnlyList<DeviceProof> ForMessages(IReadOnlyCollection<long> messageIds)
    {
        if (messageIds.Count == 0) return [];
        using var connection = database.Open();
        return connection.Query<(long Id, string Topic, string? Proof, string? Mac, long? KeyId, long? SignedLength)>(
                "SELECT id, topic, proof, mac, key_id, signed_length FROM messages WHERE id IN @messageIds AND proof = @verified",
                new { messageIds, verified = ProofStatus.Verified })
            .Select(m => (m, Device: Topics.TryParse(m.Topic, out var device, out _) ? device : null))
            .Where(x => x.m.Mac is not null && x.m.SignedLength is > 0 && x.Device is not null)
            .Select(x => new DeviceProof(x.m.Id, x.Device!, ProofsFormat.EnvelopePrefixScope + x.m.SignedLength, ProofsFormat.HmacSha256,
                x.m.Mac!, VerifiedAtIngest: true, KeyId: x.m.KeyId?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(p => p.MessageId)
            .ToList();
    }
}
