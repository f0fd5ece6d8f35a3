using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Storage;
using Iot.Contract.Signing;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Updates;

/// <summary>A signed firmware release the fleet can offer: release.json's fields (Gateway.Release writes them).</summary>
public sealed record Release(string Version, string Target, long Size, string Sha256, bool AllowDowngrade, string Sig, string Key, string Notes,
    DateTimeOffset UploadedAt);

/// <summary>
/// The releases the fleet offers, each re-checked on upload exactly as a gateway will check it (the device's own
/// Ed25519 verifier and signed manifest from Gateway.Core/Ota, then size and SHA-256 of the bundle), and the bundle
/// files they point to. The fleet only passes releases on: it holds public keys, never the release key.
/// </summary>
public sealed class ReleaseLibrary
{
    private readonly FleetDatabase _database;
    private readonly UpdatesOptions _options;
    private readonly List<byte[]> _keys;
    private long _bundleRequests, _rangeRequests;

    public ReleaseLibrary(FleetDatabase database, IOptions<UpdatesOptions> options, IOptions<DatabaseOptions> databaseOptions)
    {
        _database = database;
        _options = options.Value;
        _keys = _options.ReleaseKeys.Where(k => k.Length > 0).Select(ParseKey).ToList();
        Directory = _options.Directory is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(databaseOptions.Value.DataDirectory, "releases");
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>Where bundles are stored, one file per release.</summary>
    public string Directory { get; }

    /// <summary>Bundle downloads served, and how many of them asked for a range (a resumed or chunked download).</summary>
    public (long Requests, long Ranged) Downloads => (Interlocked.Read(ref _bundleRequests), Interlocked.Read(ref _rangeRequests));

    internal void CountDownload(bool ranged)
    {
        Interlocked.Increment(ref _bundleRequests);
        if (ranged) Interlocked.Increment(ref _rangeRequests);
    }

    public string BundlePath(Release release) => Path.Combine(Directory, $"firmware-{release.Target}-{release.Version}.bin");

    public IReadOnlyList<Release> All()
    {
        using var connection = _database.Open();
        return connection.Query<Row>("SELECT * FROM releases").Select(r => r.ToRelease())
            .OrderBy(r => r.Version, Comparer<string>.Create(ReleaseManifest.CompareVersions)).ToList();
    }

    public Release? Find(string version)
    {
        using var connection = _database.Open();
        return connection.QueryFirstOrDefault<Row>("SELECT * FROM releases WHERE version = @version", new { version })?.ToRelease();
    }

    /// <summary>Checks release.json and the bundle as a gateway would and stores both; throws RefusalException
    /// with the reason otherwise. Uploading the same release again is harmless.</summary>
    public async Task<Release> Add(Stream releaseJson, Stream bundle, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_keys.Count == 0) throw new RefusalException("no release public key is configured (Updates:ReleaseKeys); the fleet cannot check releases", StatusCodes.Status422UnprocessableEntity);
        JsonObject document;
        try
        {
            document = await JsonSerializer.DeserializeAsync<JsonObject>(releaseJson, cancellationToken: cancellationToken)
                ?? throw new RefusalException("release.json is empty", StatusCodes.Status422UnprocessableEntity);
        }
        catch (JsonException e)
        {
            throw new RefusalException($"release.json is not JSON: {e.Message}", StatusCodes.Status422UnprocessableEntity);
        }
        var release = Parse(document, now);
        var manifest = new ReleaseManifest { Target = release.Target, Version = release.Version, Size = (int)release.Size, AllowDowngrade = release.AllowDowngrade };
        if (!ReleaseManifest.TryDecodeHex(release.Sha256, manifest.Sha256)) throw new RefusalException("sha256 must be 64 hex digits", StatusCodes.Status422UnprocessableEntity);
        if (manifest.Validate() is { } invalid) throw new RefusalException($"release.json: {invalid}", StatusCodes.Status422UnprocessableEntity);
        var signature = new byte[Ed25519Verifier.SignatureBytes];
        if (!ReleaseManifest.TryDecodeHex(release.Sig, signature)) throw new RefusalException("sig must be 128 hex digits", StatusCodes.Status422UnprocessableEntity);
        var message = new byte[ReleaseManifest.MaxMessageBytes];
        int length = manifest.WriteSignedMessage(message);
        if (!_keys.Any(key => new Ed25519Verifier().Verify(key, signature, message, 0, length)))
            throw new RefusalException("bad_signature: the release is not signed by a release key this fleet trusts (Updates:ReleaseKeys)", StatusCodes.Status422UnprocessableEntity);

        var existing = Find(release.Version);
        if (existing is not null && (existing.Sig != release.Sig || existing.Target != release.Target))
            throw new RefusalException($"release {release.Version} exists with another signature; publish a new version", StatusCodes.Status409Conflict);

        var path = BundlePath(release);
        var partial = path + ".upload";
        try
        {
            long size = 0;
            byte[] hash;
            await using (var file = File.Create(partial))
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                int n;
                while ((n = await bundle.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += n;
                    if (size > release.Size) throw new RefusalException($"size_mismatch: the bundle is larger than the signed {release.Size} bytes", StatusCodes.Status422UnprocessableEntity);
                    sha.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
                hash = sha.GetHashAndReset();
            }
            if (size != release.Size) throw new RefusalException($"size_mismatch: the bundle has {size} bytes, the signed release says {release.Size}", StatusCodes.Status422UnprocessableEntity);
            if (!CryptographicOperations.FixedTimeEquals(hash, manifest.Sha256))
                throw new RefusalException("hash_mismatch: the bundle's SHA-256 is not the signed one", StatusCodes.Status422UnprocessableEntity);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
        if (existing is not null) return existing;
        using var connection = _database.Open();
        connection.Execute(
            """
            INSERT INTO releases (version, target, size, sha256, allow_downgrade, sig, key, notes, uploaded_at)
            VALUES (@Version, @Target, @Size, @Sha256, @AllowDowngrade, @Sig, @Key, @Notes, @at)
            """, new { release.Version, release.Target, release.Size, release.Sha256, AllowDowngrade = release.AllowDowngrade ? 1 : 0, release.Sig, release.Key, release.Notes, at = now.ToUnixTimeMilliseconds() });
        return release;
    }

    private Release Parse(JsonObject d, DateTimeOffset now)
    {
        string Text(string name) => d[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new RefusalException($"release.json has no string `{name}`", StatusCodes.Status422UnprocessableEntity);
        long size = d["size"] is JsonValue sv && sv.TryGetValue<long>(out var n) ? n : throw new RefusalException("release.json has no number `size`", StatusCodes.Status422UnprocessableEntity);
        if (size < 1 || size > Math.Min(int.MaxValue, _options.MaxBundleBytes)) throw new RefusalException($"size {size} is outside 1..{_options.MaxBundleBytes} bytes", StatusCodes.Status422UnprocessableEntity);
        bool allow = d["allow_downgrade"] is JsonValue av && av.TryGetValue<bool>(out var b) ? b : throw new RefusalException("release.json has no boolean `allow_downgrade`", StatusCodes.Status422UnprocessableEntity);
        var notes = d["notes"] is JsonValue nv && nv.TryGetValue<string>(out var t) ? t : "";
        var key = d["key"] is JsonValue kv && kv.TryGetValue<string>(out var k) ? k.ToLowerInvariant() : "";
        return new Release(Text("version"), Text("target"), size, Text("sha256").ToLowerInvariant(), allow, Text("sig").ToLowerInvariant(), key, notes, now);
    }

    private static byte[] ParseKey(string hex)
    {
        var key = new byte[Ed25519Verifier.PublicKeyBytes];
        if (!ReleaseManifest.TryDecodeHex(hex.Trim(), key)) throw new InvalidOperationException("Updates:ReleaseKeys entries must be 64 hex digits (the public key keygen prints)");
        return key;
    }

    private sealed record Row(string version, string target, long size, string sha256, long allow_downgrade, string sig, string key, string notes, long uploaded_at)
    {
        public Release ToRelease() => new(version, target, size, sha256, allow_downgrade != 0, sig, key, notes, DateTimeOffset.FromUnixTimeMilliseconds(uploaded_at));
    }
}
