using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Iot.Evidence;

/// <summary>
/// iot-evidence: checks what the fleet signed, offline.
/// <code>
/// iot-evidence verify BUNDLE.zip [--key PUBKEY]… [--key-file FILE]… [--device-key DEV=HEX]…
/// iot-evidence verify-signed FILE [--key PUBKEY]… [--key-file FILE]…   (a daily audit head: FILE and FILE.sig)
/// </code>
/// A key is an Ed25519 public key in base64 or hex; a key file holds one such key per line, or is the JSON of
/// GET /api/evidence/key (every key listed there, retired ones included, is trusted). Exit 0 only when everything
/// holds, 1 when something does not, 2 for a usage error.
/// </summary>
public static class EvidenceCli
{
    public static RootCommand Create(TextWriter output, TextWriter error)
    {
        var keys = new Option<string[]>("--key") { Description = "a trusted evidence public key (base64 or hex); repeatable", AllowMultipleArgumentsPerToken = false };
        var keyFiles = new Option<string[]>("--key-file") { Description = "a file of trusted public keys, or the saved answer of GET /api/evidence/key; repeatable" };
        var deviceKeys = new Option<string[]>("--device-key") { Description = "DEV=HEX: a device's HMAC key, to recompute its proofs; repeatable" };
        var bundle = new Argument<string>("bundle") { Description = "the evidence bundle (lead-N-evidence.zip)" };
        var verify = new Command("verify", "check an evidence bundle: signature, manifest, every file, device proofs") { bundle, keys, keyFiles, deviceKeys };
        verify.SetAction(result =>
        {
            if (!TrustedKeys(result.GetValue(keys), result.GetValue(keyFiles), error, out var trusted)) return 2;
            var devices = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var pair in result.GetValue(deviceKeys) ?? [])
            {
                var at = pair.IndexOf('=');
                try
                {
                    devices[pair[..at]] = Convert.FromHexString(pair[(at + 1)..]);
                }
                catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
                {
                    error.WriteLine($"error: --device-key {pair}: give DEV=HEX");
                    return 2;
                }
            }
            var path = result.GetValue(bundle)!;
            if (!File.Exists(path))
            {
                error.WriteLine($"error: {path}: no such file");
                return 2;
            }
            var verdict = BundleVerifier.Verify(path, new VerifyOptions(trusted, devices));
            Print(output, path, verdict.Checks, verdict.Holds);
            if (verdict.Holds && verdict.KeyFromBundle)
                output.WriteLine($"note: no trusted key given; the bundle is consistent under its own key {verdict.KeyFingerprint}. "
                                 + "Pass --key or --key-file with the key the bureau published to prove who signed it.");
            return verdict.Holds ? 0 : 1;
        });

        var file = new Argument<string>("file") { Description = "a signed file, e.g. audit-head-2026-12-06.json (its signature is FILE.sig)" };
        var verifySigned = new Command("verify-signed", "check a file the fleet signed with its evidence key (a daily audit head)") { file, keys, keyFiles };
        verifySigned.SetAction(result =>
        {
            if (!TrustedKeys(result.GetValue(keys), result.GetValue(keyFiles), error, out var trusted)) return 2;
            var path = result.GetValue(file)!;
            if (!File.Exists(path) || !File.Exists(path + ".sig"))
            {
                error.WriteLine($"error: {path} and {path}.sig are both needed");
                return 2;
            }
            var checks = VerifySigned(File.ReadAllBytes(path), Path.GetFileName(path), File.ReadAllBytes(path + ".sig"), trusted);
            var holds = checks.All(c => c.Holds);
            Print(output, path, checks, holds);
            return holds ? 0 : 1;
        });
        return new RootCommand("iot-evidence: checks evidence bundles and signed audit heads offline") { verify, verifySigned };
    }

    /// <summary>Checks a detached signature (FILE.sig) over a file's bytes.</summary>
    public static IReadOnlyList<VerifyCheck> VerifySigned(byte[] bytes, string name, byte[] signatureFile, IReadOnlyList<byte[]> trusted)
    {
        var sigName = name + ".sig";
        if (DetachedSignature.Parse(signatureFile, out var problem) is not { } signature) return [new VerifyCheck(sigName, false, problem!)];
        var fingerprint = Ed25519Keys.Fingerprint(signature.PublicKeyBytes);
        if (signature.SignedFile != name) return [new VerifyCheck(sigName, false, $"signs '{signature.SignedFile}', not {name}")];
        if (trusted.Count > 0 && !trusted.Any(t => t.AsSpan().SequenceEqual(signature.PublicKeyBytes)))
            return [new VerifyCheck(sigName, false, $"signed by key {fingerprint}, which is not among the trusted keys given")];
        return signature.Holds(bytes)
            ? [new VerifyCheck(sigName, true, $"Ed25519 signature over {name} holds (key {fingerprint}{(trusted.Count == 0 ? ", taken from the file itself" : ", a trusted key")})")]
            : [new VerifyCheck(sigName, false, $"the signature does not hold over {name}: the file was changed after signing")];
    }

    private static void Print(TextWriter output, string what, IReadOnlyList<VerifyCheck> checks, bool holds)
    {
        foreach (var c in checks) output.WriteLine($"{(c.Holds ? "ok  " : "FAIL")}  {c.Subject}: {c.Detail}");
        output.WriteLine(holds ? $"{what}: HOLDS" : $"{what}: DOES NOT HOLD ({checks.Count(c => !c.Holds)} problem(s) above)");
    }

    private static bool TrustedKeys(string[]? keys, string[]? files, TextWriter error, out List<byte[]> trusted)
    {
        trusted = [];
        foreach (var text in keys ?? [])
        {
            if (Ed25519Keys.ParsePublicKey(text) is not { } key)
            {
                error.WriteLine($"error: --key {text}: not a 32-byte Ed25519 public key in base64 or hex");
                return false;
            }
            trusted.Add(key);
        }
        foreach (var path in files ?? [])
        {
            if (!File.Exists(path))
            {
                error.WriteLine($"error: --key-file {path}: no such file");
                return false;
            }
            var found = KeysInFile(File.ReadAllText(path));
            if (found.Count == 0)
            {
                error.WriteLine($"error: --key-file {path}: no Ed25519 public key in it");
                return false;
            }
            trusted.AddRange(found);
        }
        return true;
    }

    /// <summary>Public keys in a key file: the JSON of GET /api/evidence/key ("keys": [{"public_key": …}]) or one key a line.</summary>
    public static List<byte[]> KeysInFile(string text)
    {
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                return (JsonNode.Parse(text)?["keys"] as JsonArray ?? [])
                    .Select(k => Ed25519Keys.ParsePublicKey(k?["public_key"]?.GetValue<string>() ?? "")).OfType<byte[]>().ToList();
            }
            catch (JsonException)
            {
                return [];
            }
        }
        return text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(Ed25519Keys.ParsePublicKey).OfType<byte[]>().ToList();
    }
}
