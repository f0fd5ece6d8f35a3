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
public sealed class StoredDeviceProofs(RawMessageStore raw) : IDeviceProofs
{
    public IReadOnlyList<DeviceProof> ForMessages(IReadOnlyCollection<long> messageIds)
    {
        if (messageIds.Count == 0) return [];
        return raw.Get(messageIds).Values
            .Where(m => m.Proof is { Status: ProofStatus.Verified, Mac: not null, SignedLength: > 0 })
            .Select(m => (m, Device: Topics.TryParse(m.Topic, out var device, out _) ? device : null))
            .Where(x => x.Device is not null)
            .Select(x => new DeviceProof(x.m.Id, x.Device!, ProofsFormat.EnvelopePrefixScope + x.m.Proof!.SignedLength, ProofsFormat.HmacSha256,
                x.m.Proof.Mac!, VerifiedAtIngest: true, KeyId: x.m.Proof.KeyId?.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(p => p.MessageId)
            .ToList();
    }
}
