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
/// Where the evidence export reads device proofs. The contract with the device-proofs work: register an implementation
/// (<c>services.AddSingleton&lt;IDeviceProofs, …&gt;()</c>, which replaces <see cref="NoDeviceProofs"/>) that answers the
/// proofs kept for the given raw message ids; the bundle then carries them in `proofs.json` and `iot-evidence verify`
/// checks them. Proofs must live as long as their messages: the retention trim deletes raw messages only when no
/// lead's evidence rests on them, and a proof table keyed by message id must follow (or be ON DELETE CASCADE).
/// </summary>
public interface IDeviceProofs
{
    IReadOnlyList<DeviceProof> ForMessages(IReadOnlyCollection<long> messageIds);
}

/// <summary>Until devices send proofs: none.</summary>
public sealed class NoDeviceProofs : IDeviceProofs
{
    public IReadOnlyList<DeviceProof> ForMessages(IReadOnlyCollection<long> messageIds) => [];
}
