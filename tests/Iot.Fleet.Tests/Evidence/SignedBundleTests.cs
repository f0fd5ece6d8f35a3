using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Iot.Evidence;
using Iot.Fleet.Audit;
using Iot.Fleet.Evidence;
using Xunit;

namespace Iot.Fleet.Tests.Evidence;

/// <summary>The signed bundle round trip, offline: export, verify, change one byte anywhere, verify fails naming the file.</summary>
public sealed class SignedBundleTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("iot-evidence-key-").FullName;
    private readonly EvidenceKeys _keys;

    public SignedBundleTests() => _keys = EvidenceBundleTests.TestKeys(_state);

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private byte[] Key => Convert.FromBase64String(_keys.Current.PublicKey);

    private static byte[] Zip(IReadOnlyList<(string Path, byte[] Bytes)> files) => EvidenceExport.Zip(files, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));

    [Fact]
    public void A_bundle_verifies_offline_against_the_published_key_and_through_the_cli()
    {
        var zip = Zip(EvidenceExport.Files(EvidenceBundleTests.Sources(), _keys));
        var verdict = BundleVerifier.Verify(new MemoryStream(zip), new VerifyOptions([Key]));
        Assert.True(verdict.Holds, string.Join("\n", verdict.Checks));
        Assert.False(verdict.KeyFromBundle);
        Assert.Equal(_keys.Current.Fingerprint, verdict.KeyFingerprint);

        var path = Path.Combine(_state, "lead-7-evidence.zip");
        File.WriteAllBytes(path, zip);
        var (code, output) = Cli("verify", path, "--key", _keys.Current.PublicKey);
        Assert.True(code == 0, output);
        Assert.Contains("HOLDS", output);
        (code, output) = Cli("verify", path);
        Assert.Equal(0, code);
        Assert.Contains("no trusted key given", output);
    }

    [Fact]
    public void One_byte_changed_in_any_file_of_the_bundle_fails_and_names_the_file()
    {
        var files = EvidenceExport.Files(EvidenceBundleTests.Sources(), _keys);
        foreach (var (path, bytes) in files)
            // About 60 places in every file, its first and last byte among them.
            foreach (var at in Enumerable.Range(0, bytes.Length).Where(i => i % Math.Max(1, bytes.Length / 60) == 0 || i == bytes.Length - 1))
            {
                var changed = bytes.ToArray();
                changed[at] ^= 0x01;
                var verdict = BundleVerifier.Verify(new MemoryStream(Zip(files.Select(f => f.Path == path ? (f.Path, changed) : f).ToList())), new VerifyOptions([Key]));
                Assert.False(verdict.Holds, $"{path} with byte {at} changed still holds");
                // A listed file is named as the failing subject; the manifest through its signature; the signature and the sums as themselves.
                Assert.True(verdict.Failures.Any(f => f.Subject == path || f.Detail.Contains(path)),
                    $"{path}@{at}: the failures do not name it: {string.Join("; ", verdict.Failures)}");
            }

        var readings = files.Select(f => f.Path == "readings.csv" ? (f.Path, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(f.Bytes).Replace("2.5", "1.5"))) : f).ToList();
        var path2 = Path.Combine(_state, "edited.zip");
        File.WriteAllBytes(path2, Zip(readings));
        var (code, output) = Cli("verify", path2, "--key", _keys.Current.PublicKey);
        Assert.Equal(1, code);
        Assert.Contains("FAIL  readings.csv: SHA-256 is", output);
        Assert.Contains("the file was changed", output);
    }

    [Fact]
    public void Extra_and_missing_files_a_foreign_key_and_a_damaged_zip_fail()
    {
        var files = EvidenceExport.Files(EvidenceBundleTests.Sources(), _keys);
        var extra = BundleVerifier.Verify(new MemoryStream(Zip([.. files, ("note.txt", "added later"u8.ToArray())])), new VerifyOptions([Key]));
        Assert.Equal(["note.txt: in the bundle but not in the manifest"], extra.Failures.Select(f => $"{f.Subject}: {f.Detail}"));

        var missing = BundleVerifier.Verify(new MemoryStream(Zip(files.Where(f => f.Path != "messages/0000000042.json").ToList())), new VerifyOptions([Key]));
        Assert.Contains(missing.Failures, f => f.Subject == "messages/0000000042.json" && f.Detail.Contains("missing"));

        var (_, other) = Ed25519Keys.Generate();
        var foreign = BundleVerifier.Verify(new MemoryStream(Zip(files)), new VerifyOptions([other]));
        Assert.Contains(foreign.Failures, f => f.Subject == "manifest.sig" && f.Detail.Contains("not among the 1 trusted key"));

        // Re-signed by someone else's key: consistent under its own key, refused against the bureau's.
        var forger = EvidenceBundleTests.TestKeys(Directory.CreateTempSubdirectory("iot-forger-").FullName);
        var forged = Zip(EvidenceExport.Files(EvidenceBundleTests.Sources() with { Exporter = "mallory" }, forger));
        Assert.True(BundleVerifier.Verify(new MemoryStream(forged)).Holds);
        Assert.False(BundleVerifier.Verify(new MemoryStream(forged), new VerifyOptions([Key])).Holds);

        var zip = Zip(files);
        zip[zip.Length / 3] ^= 0xff; // inside some entry's compressed bytes
        var damaged = BundleVerifier.Verify(new MemoryStream(zip), new VerifyOptions([Key]));
        Assert.False(damaged.Holds, string.Join("\n", damaged.Checks));
    }

    [Fact]
    public void Device_proofs_are_bound_to_their_raw_messages_and_recomputed_with_the_device_key()
    {
        var deviceKey = RandomNumberGenerator.GetBytes(32);
        var sources = EvidenceBundleTests.Sources();
        var mac = Convert.ToHexStringLower(HMACSHA256.HashData(deviceKey, sources.Messages[0].Payload));
        var files = EvidenceExport.Files(sources with { Proofs = [new DeviceProof(42, "GW-1", "envelope", "hmac-sha256", mac, true)] }, _keys);
        Assert.Contains(files, f => f.Path == "proofs.json");
        var zip = new MemoryStream(Zip(files));

        var offline = BundleVerifier.Verify(zip, new VerifyOptions([Key]));
        Assert.True(offline.Holds, string.Join("\n", offline.Checks));
        Assert.Contains(offline.Checks, c => c.Subject == "proofs.json" && c.Detail.Contains("1 need the device key"));
        zip.Position = 0;
        var recomputed = BundleVerifier.Verify(zip, new VerifyOptions([Key], new Dictionary<string, byte[]> { ["GW-1"] = deviceKey }));
        Assert.True(recomputed.Holds, string.Join("\n", recomputed.Checks));
        Assert.Contains(recomputed.Checks, c => c.Subject == "proofs.json" && c.Detail.Contains("1 recomputed offline"));

        // A proof that is not the device's (forged message, signed manifest by the fleet): the proof says so.
        var forged = EvidenceExport.Files(sources with { Proofs = [new DeviceProof(42, "GW-1", "envelope", "hmac-sha256", new string('0', 64), true)] }, _keys);
        var wrong = BundleVerifier.Verify(new MemoryStream(Zip(forged)), new VerifyOptions([Key], new Dictionary<string, byte[]> { ["GW-1"] = deviceKey }));
        Assert.Contains(wrong.Failures, f => f.Subject.Contains("messages/0000000042.json") && f.Detail.Contains("does not hold"));
    }

    [Fact]
    public void A_rotated_key_keeps_old_bundles_verifiable_against_the_published_list()
    {
        var before = Zip(EvidenceExport.Files(EvidenceBundleTests.Sources(), _keys));
        var old = _keys.Current;
        var (retired, current) = _keys.Rotate();
        Assert.Equal(old.Fingerprint, retired.Fingerprint);
        Assert.NotEqual(old.Fingerprint, current.Fingerprint);
        var list = _keys.List();
        Assert.Equal([old.Fingerprint, current.Fingerprint], list.Keys.Select(k => k.Fingerprint));
        Assert.NotNull(list.Keys[0].RetiredAt);
        Assert.Null(list.Keys[1].RetiredAt);
        // A fresh instance over the same folder (a restart) signs with the new key and lists both.
        var restarted = EvidenceBundleTests.TestKeys(_state);
        Assert.Equal(current.Fingerprint, restarted.Current.Fingerprint);
        Assert.Equal(2, restarted.List().Keys.Count);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_state, EvidenceKeys.PrivateFile)));

        var after = Zip(EvidenceExport.Files(EvidenceBundleTests.Sources(), _keys));
        var keyFile = Path.Combine(_state, "published-keys.json");
        File.WriteAllText(keyFile, System.Text.Json.JsonSerializer.Serialize(list, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));
        foreach (var (name, zip) in new[] { ("before.zip", before), ("after.zip", after) })
        {
            File.WriteAllBytes(Path.Combine(_state, name), zip);
            var (code, output) = Cli("verify", Path.Combine(_state, name), "--key-file", keyFile);
            Assert.True(code == 0, output);
        }
        var (refused, text) = Cli("verify", Path.Combine(_state, "before.zip"), "--key", current.PublicKey);
        Assert.Equal(1, refused);
        Assert.Contains("not among", text);
    }

    internal static (int Code, string Output) Cli(params string[] args)
    {
        var output = new StringWriter();
        var code = EvidenceCli.Create(output, output).Parse(args).Invoke();
        return (code, output.ToString());
    }
}
