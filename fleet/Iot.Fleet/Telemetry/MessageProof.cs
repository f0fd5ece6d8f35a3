
namespace Iot.Fleet.Telemetry;

/// <summary>What the fleet knows about the origin of a stored telemetry message (column `messages.proof`).</summary>
public static class ProofStatus
{
    /// <summary>`mac` verified: HMAC-SHA256 under the device's evidence key <see cref="MessageProof.KeyId"/> over
    /// the first <see cref="MessageProof.SignedLength"/> bytes of the payload.</summary>
    public const string Verified = "hmac-sha256";

    /// <summary>No `mac`: the device has no evidence key; the message is only as good as its broker login.</summary>
    public const string Unproven = "unproven";

    /// <summary>An HJ 212 monitor's frame: its MN and PW matched the registration and the CRC held. HJ 212 has no
    /// signature, so this is only as good as a password sent in clear (Hj212/Hj212Receiver.cs).</summary>
    public const string Hj212Password = "hj212-password";
}

/// <summary>The proof kept with a raw message: status, the MAC as sent (lower-case hex), the key and the signed prefix.
/// A message stored before proofs existed has none (null).</summary>
public sealed record MessageProof(string Status, string? Mac = null, long? KeyId = null, int? SignedLength = null)
{
    public static readonly MessageProof Unproven = new(ProofStatus.Unproven);
}
