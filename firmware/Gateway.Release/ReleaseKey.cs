using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Iot.Gateway.Release;

/// <summary>
/// The release key: an Ed25519 seed in a small JSON file that only its owner may read (0600). It lives offline
/// (a release engineer's machine or a hardware-backed vault), never in the fleet: whoever holds it can ship
/// firmware to every gateway.
/// </summary>
public sealed class ReleaseKey
{
    private const string Kind = "iot-gateway-release-key/ed25519";
    private readonly byte[] _seed;

    private ReleaseKey(byte[] seed)
    {
        _seed = seed;
        PublicKey = Ed25519Signer.PublicKey(seed);
    }

    /// <summary>The 32-byte public key devices embed.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The public key as devices take it: 64 lower-case hex digits.</summary>
    public string PublicKeyHex => Convert.ToHexStringLower(PublicKey);

    /// <summary>A new key from the system's cryptographic random generator.</summary>
    public static ReleaseKey Generate() => new(RandomNumberGenerator.GetBytes(Ed25519Signer.SeedBytes));

    /// <summary>Signs message with the key.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message) => Ed25519Signer.Sign(_seed, message);

    /// <summary>Writes the key file, readable by its owner only; refuses to overwrite an existing key.</summary>
    public void Save(string path)
    {
        var json = new JsonObject
        {
            ["kind"] = Kind,
            ["seed"] = Convert.ToHexStringLower(_seed),
            ["public"] = PublicKeyHex,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(json);
        writer.Write('\n');
    }

    /// <summary>Reads a key file written by Save.</summary>
    public static ReleaseKey Load(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a release key file: {e.Message}");
        }
        if (node?["kind"]?.GetValue<string>() != Kind) throw new InvalidDataException($"{path} is not a release key file");
        byte[] seed;
        try
        {
            seed = Convert.FromHexString(node["seed"]?.GetValue<string>() ?? "");
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{path}: the seed is not hex");
        }
        if (seed.Length != Ed25519Signer.SeedBytes) throw new InvalidDataException($"{path}: the seed must be 32 bytes");
        var key = new ReleaseKey(seed);
        if (node["public"]?.GetValue<string>() is { } stated && !string.Equals(stated, key.PublicKeyHex, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: the public key does not belong to the seed");
        return key;
    }
}
