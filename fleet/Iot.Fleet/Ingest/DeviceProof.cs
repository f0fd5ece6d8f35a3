using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Iot.Contract;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Ingest;

/// <summary>Options of the device proof of telemetry (section "DeviceProof").</summary>
public sealed class DeviceProofOptions
{
    /// <summary>
    /// False (default): an envelope without `mac` from a device that has no evidence key (claimed or registered
    /// before keys existed, or a third-party gateway) is accepted and stored as <see cref="ProofStatus.Unproven"/>.
    /// True: it is rejected like a forged one. A device that has a key must always send `mac`.
    /// </summary>
    public bool RejectUnproven { get; set; }
}

/// <summary>A telemetry message whose proof failed: wrong or missing MAC, or a MAC the fleet holds no key for.
/// It is rejected and raises a `monitor.unauthenticated` alert on the device's site.</summary>
public sealed class ProofFailedException(string reason) : Exception(reason);

/// <summary>A device's evidence key: 32 random bytes, made by the fleet, given to the device once.</summary>
public sealed record EvidenceKey(long Id, string Device, byte[] Key, DateTimeOffset CreatedAt, string Source)
{
    public string Hex => Convert.ToHexStringLower(Key);
}

/// <summary>
/// The devices' evidence keys (table `evidence_keys`) and the check of a telemetry envelope's `mac`
/// (wire format: README.md, "Readings the device vouches for"). A claimed gateway gets its key with its broker
/// credentials (<see cref="Provisioning.ProvisioningExchange"/>); a directly registered one from
/// POST /api/devices/{id}/evidence-key. A device has at most one current key; issuing a new one retires the old.
/// </summary>
public sealed class DeviceKeys(FleetDatabase database, IOptions<DeviceProofOptions> options, TimeProvider clock)
{
    public const int KeyBytes = 32;


    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (EvidenceKey? Key, DateTimeOffset Until)> _current = new(StringComparer.Ordinal);

    /// <summary>Makes a new key for the device and retires its previous one (the device must be given the new key).</summary>
    public EvidenceKey Issue(string device, string source)
    {
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var now = clock.GetUtcNow();
        using var connection = database.Open();
        using var tx = connection.BeginTransaction();
        connection.Execute("UPDATE evidence_keys SET retired_at = @at WHERE dev = @device AND retired_at IS NULL", new { device, at = now.ToUnixTimeMilliseconds() }, tx);
        var id = connection.ExecuteScalar<long>(
            "INSERT INTO evidence_keys (dev, key, created_at, source) VALUES (@device, @key, @at, @source) RETURNING id",
            new { device, key, at = now.ToUnixTimeMilliseconds(), source }, tx);
        tx.Commit();
        var issued = new EvidenceKey(id, device, key, now, source);
        _current[device] = (issued, now + CacheFor);
        return issued;
    }

    /// <summary>The device's current key, or a new one when it has none (the claim sends the same key on every answer,
    /// so a gateway that took an earlier answer still holds the current key).</summary>
    public EvidenceKey Ensure(string device, string source) => Current(device) ?? Issue(device, source);

    /// <summary>The device's current key, or null.</summary>
    public EvidenceKey? Current(string device)
    {
        var now = clock.GetUtcNow();
        if (_current.TryGetValue(device, out var cached) && cached.Until > now) return cached.Key;
        using var connection = database.Open();
        var key = connection.QueryFirstOrDefault<KeyRow>(
            "SELECT id, dev, key, created_at, source FROM evidence_keys WHERE dev = @device AND retired_at IS NULL ORDER BY id DESC LIMIT 1", new { device })?.ToKey();
        if (_current.Count > 100_000) _current.Clear();
        _current[device] = (key, now + CacheFor);
        return key;
    }

    /// <summary>A key by its id, current or retired (to check a stored message again).</summary>
    public EvidenceKey? Get(long id)
    {
        using var connection = database.Open();
        return connection.QueryFirstOrDefault<KeyRow>("SELECT id, dev, key, created_at, source FROM evidence_keys WHERE id = @id", new { id })?.ToKey();
    }

    /// <summary>
    /// Checks a telemetry envelope of <paramref name="device"/> that passed <see cref="MessageParser.ParseTelemetry"/>
    /// (which made sure a `mac`, when present, is 64 lower-case hex digits and the last member). Returns the proof
    /// to keep with the message; throws <see cref="ProofFailedException"/> when it must be rejected.
    /// </summary>
    public MessageProof Verify(string device, ReadOnlySpan<byte> payload, bool hasMac)
    {
        var key = Current(device);
        if (!hasMac)
        {
            if (key is not null)
                throw new ProofFailedException($"no `mac`, but {device} has evidence key {key.Id} (since {key.CreatedAt:u}): an envelope without one is not the device's");
            if (options.Value.RejectUnproven)
                throw new ProofFailedException($"no `mac`, and {device} has no evidence key (DeviceProof:RejectUnproven is on)");
            return MessageProof.Unproven;
        }
        if (!TrySplit(payload, out var signedLength, out var mac))
            throw new ProofFailedException("`mac` is not the envelope's last member written as ,\"mac\":\"{64 lower-case hex digits}\"}");
        if (key is null)
            throw new ProofFailedException($"carries `mac`, but the fleet holds no evidence key for {device}");
        if (!Matches(key.Key, payload[..signedLength], mac))
            throw new ProofFailedException($"`mac` does not match under {device}'s evidence key {key.Id}: altered on the way, sent with another key, or not from this device");
        return new MessageProof(ProofStatus.Verified, mac, key.Id, signedLength);
    }

    /// <summary>Checks a stored message's proof again from its raw payload (for evidence bundles): true when its
    /// status is verified and the MAC still matches the recorded key over the recorded prefix.</summary>
    public bool Recheck(RawMessage message)
    {
        if (message.Proof is not { Status: ProofStatus.Verified, Mac: { } mac, KeyId: { } keyId, SignedLength: { } length }) return false;
        if (Get(keyId) is not { } key || length < 0 || length > message.Payload.Length) return false;
        if (!Topics.TryParse(message.Topic, out var device, out _) || device != key.Device) return false;
        return TrySplit(message.Payload, out var signed, out var sent) && signed == length && sent == mac && Matches(key.Key, message.Payload.AsSpan(0, length), mac);
    }

    /// <summary>Splits an authenticated envelope into its signed prefix and its MAC (<see cref="MessageParser.TrySplitMac"/>).</summary>
    public static bool TrySplit(ReadOnlySpan<byte> payload, out int signedLength, out string mac) => MessageParser.TrySplitMac(payload, out signedLength, out mac);

    private static bool Matches(byte[] key, ReadOnlySpan<byte> signed, string mac)
    {
        Span<byte> expected = stackalloc byte[KeyBytes];
        HMACSHA256.HashData(key, signed, expected);
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(mac));
    }

    private sealed record KeyRow(long id, string dev, byte[] key, long created_at, string source)
    {
        public EvidenceKey ToKey() => new(id, dev, key, DateTimeOffset.FromUnixTimeMilliseconds(created_at), source);
    }
}
