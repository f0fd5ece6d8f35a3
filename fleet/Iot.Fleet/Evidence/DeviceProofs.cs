namespace Iot.Fleet.Evidence;

/// <summary>
/// A device's proof of one raw message (the per-record or per-envelope HMAC the gateway sent, kept next to the message).
/// `Scope` "envelope" means `Value` is computed over the raw message's exact bytes (what the bundle's
/// `messages/{id}.json` holds), so the offline verifier can recompute it with the device key; another scope
/// (e.g. "record:17") is carried and bound to its message but not recomputed. `Value` is hex or base64;
/// `VerifiedAtIngest` says whether the fleet checked it when the message arrived.
/// </summary>
public sealed record DeviceProof(long MessageId, string Device, string Scope, string Algorithm, string Value, bool? VerifiedAtIngest,
    string? KeyId = null, string? PublicKey = null);

/// <summary>
/// Where the evidence export reads device proofs (<see cref="StoredDeviceProofs"/>: the ones the ingest kept with each
/// raw message); the bundle carries them in `proofs.json` and `iot-evidence verify` checks them. Proofs live in the
/// messages' own rows, so the retention trim keeps them exactly as long as the messages.
/// </summary>
public interface IDeviceProofs
{
    IReadOnlyList<DeviceProof> ForMessages(IReadOnlyCollection<long> messageIds);
}
