using System.Text.Json.Serialization;
using System.Text.Json;
using Iot.Evidence;
using Iot.Fleet.Api;
using Iot.Fleet.Evidence;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Audit;

/// <summary>One evidence key as published: the current one has no `retired_at`.</summary>
/// <remarks>Names pinned in snake_case: also the published public keys file. The API renames them to camelCase (Api/ApiJson).</remarks>
public sealed record EvidenceKeyInfo(
    string Algorithm,
    [property: JsonPropertyName("public_key")] string PublicKey,
    string Fingerprint,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt,
    [property: JsonPropertyName("retired_at")] DateTime? RetiredAt);

/// <summary>GET /api/evidence/key: the key that signs now and every key that ever signed (a bundle exported years ago
/// was signed by a key retired since).</summary>
public sealed record EvidenceKeyList(EvidenceKeyInfo Current, IReadOnlyList<EvidenceKeyInfo> Keys);

/// <summary>
/// The fleet's evidence key (Ed25519): signs every bundle's manifest and the daily audit heads. Made on first start in
/// the fleet's data folder: the private seed in `evidence-key.private` (base64, mode 0600, like the other secrets,
/// never in the database, the log or an answer), and every public key it ever had in `evidence-keys.json`. Rotation
/// makes a new key, overwrites the private file and marks the old public key retired; old public keys stay listed
/// so bundles signed earlier still check against a key the bureau published.
/// </summary>
public sealed class EvidenceKeys(IOptions<DatabaseOptions> storage, TimeProvider clock, ILogger<EvidenceKeys> logger)
{
    public const string PrivateFile = "evidence-key.private";
    public const string PublicFile = "evidence-keys.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();
    private byte[]? _seed;
    private List<EvidenceKeyInfo> _keys = [];

    private string Folder => storage.Value.DataDirectory;

    public EvidenceKeyList List()
    {
        lock (_lock)
        {
            Load();
            return new EvidenceKeyList(_keys[^1], [.. _keys]);
        }
    }

    public EvidenceKeyInfo Current => List().Current;

    /// <summary>Signs a file's exact bytes with the current key.</summary>
    public DetachedSignature Sign(string fileName, byte[] bytes)
    {
        lock (_lock)
        {
            Load();
            return DetachedSignature.Create(_seed!, fileName, bytes);
        }
    }

    /// <summary>Builds a file that names the signing key (a manifest) and signs it, with no rotation in between.</summary>
    public (byte[] Bytes, DetachedSignature Signature) SignBuilt(string fileName, Func<EvidenceKeyInfo, byte[]> build)
    {
        lock (_lock)
        {
            Load();
            var bytes = build(_keys[^1]);
            return (bytes, DetachedSignature.Create(_seed!, fileName, bytes));
        }
    }

    /// <summary>Replaces the key: the new one signs from now on, the old public key stays listed as retired.</summary>
    public (EvidenceKeyInfo Old, EvidenceKeyInfo New) Rotate()
    {
        lock (_lock)
        {
            Load();
            var old = _keys[^1];
            var (seed, publicKey) = Ed25519Keys.Generate();
            var now = clock.GetUtcNow().UtcDateTime;
            _keys[^1] = old with { RetiredAt = now };
            _keys.Add(Info(publicKey, now));
            // The public list first: a crash in between leaves the new key listed and the old one still signing.
            WritePublic();
            SecretFile.Write(Path.Combine(Folder, PrivateFile), Convert.ToBase64String(seed));
            _seed = seed;
            logger.LogWarning("evidence key rotated: {Old} retired, {New} signs from now on", old.Fingerprint, _keys[^1].Fingerprint);
            return (old, _keys[^1]);
        }
    }

    private void Load()
    {
        if (_seed is not null) return;
        var privatePath = Path.Combine(Folder, PrivateFile);
        var publicPath = Path.Combine(Folder, PublicFile);
        _keys = File.Exists(publicPath) ? JsonSerializer.Deserialize<List<EvidenceKeyInfo>>(File.ReadAllText(publicPath), Json) ?? [] : [];
        byte[] seed;
        if (File.Exists(privatePath)) seed = Convert.FromBase64String(File.ReadAllText(privatePath).Trim());
        else
        {
            (seed, _) = Ed25519Keys.Generate();
            SecretFile.Write(privatePath, Convert.ToBase64String(seed));
            logger.LogInformation("evidence key created in {Path}", privatePath);
        }
        var publicKey = Ed25519Keys.PublicKeyOf(seed);
        var fingerprint = Ed25519Keys.Fingerprint(publicKey);
        if (_keys.Count == 0 || _keys[^1].Fingerprint != fingerprint)
        {
            // A private key the list does not end with (first start, or a key restored by hand): list it as current.
            var now = clock.GetUtcNow().UtcDateTime;
            _keys = _keys.Where(k => k.Fingerprint != fingerprint).Select(k => k.RetiredAt is null ? k with { RetiredAt = now } : k).ToList();
            _keys.Add(Info(publicKey, now));
            WritePublic();
        }
        _seed = seed;
    }

    private void WritePublic() =>
        AtomicFile.Write(Path.Combine(Folder, PublicFile), JsonSerializer.Serialize(_keys, Json),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    private static EvidenceKeyInfo Info(byte[] publicKey, DateTime at) =>
        new(Ed25519Keys.Algorithm, Convert.ToBase64String(publicKey), Ed25519Keys.Fingerprint(publicKey), at, null);
}
