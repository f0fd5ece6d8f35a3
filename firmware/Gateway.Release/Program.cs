using System.CommandLine;
using Iot.Gateway.Release;

// Iot.Gateway.Release keygen --out release.key
// Iot.Gateway.Release publish --bundle <dir|file> --version 1.5.0 --notes "..." --key release.key --out <dir> [--target esp32] [--allow-downgrade]
// Iot.Gateway.Release verify --release <dir>/release.json --public-key <hex> [--bundle <file>]
var root = new RootCommand("Signs gateway firmware releases with the offline release key; devices install only what it signed.");

var keyOut = new Option<string>("--out") { Description = "where to write the new private key file (created 0600; never overwritten)", Required = true };
var keygen = new Command("keygen", "create a release key and print the public key devices embed") { keyOut };
keygen.SetAction(result =>
{
    string path = result.GetValue(keyOut)!;
    if (File.Exists(path))
    {
        Console.Error.WriteLine($"error: {path} exists; a release key is never overwritten");
        return 2;
    }
    var key = ReleaseKey.Generate();
    key.Save(path);
    Console.WriteLine($"private key written to {path} (keep it offline; whoever holds it can ship firmware to every gateway)");
    Console.WriteLine("public key for the gateways (device.json \"release_key\", GatewayRuntimeOptions.Ota.ReleaseKey, virtual gateway --release-key):");
    Console.WriteLine(key.PublicKeyHex);
    return 0;
});

var bundle = new Option<string>("--bundle") { Description = "the application folder (its files are bundled) or a ready bundle file", Required = true };
var version = new Option<string>("--version") { Description = "release version, e.g. 1.5.0 or 1.5.0-rc.1", Required = true };
var notes = new Option<string>("--notes") { Description = "release notes (shown by the fleet; not signed)", DefaultValueFactory = _ => "" };
var keyFile = new Option<string>("--key") { Description = "the private key file from keygen", Required = true };
var outDir = new Option<string>("--out") { Description = "folder for the bundle and release.json", Required = true };
var target = new Option<string>("--target") { Description = "platform the release is for (esp32, virtual)", DefaultValueFactory = _ => "esp32" };
var allowDowngrade = new Option<bool>("--allow-downgrade") { Description = "sign a deliberate downgrade: devices on a newer version accept it" };
var publish = new Command("publish", "bundle, hash and sign a release; writes the bundle and release.json") { bundle, version, notes, keyFile, outDir, target, allowDowngrade };
publish.SetAction(result =>
{
    try
    {
        var key = ReleaseKey.Load(result.GetValue(keyFile)!);
        var progress = new ProgressReporter(Console.Error, !Console.IsErrorRedirected);
        var release = Releases.Publish(result.GetValue(bundle)!, result.GetValue(version)!, result.GetValue(notes)!, key, result.GetValue(outDir)!,
            result.GetValue(target)!, result.GetValue(allowDowngrade), DateTimeOffset.UtcNow, progress.Report);
        Console.WriteLine($"{release.Target} {release.Version}: {release.File}, {release.Size} bytes, sha256 {release.Sha256}");
        Console.WriteLine($"signed with key {release.PublicKey}; manifest in {Path.Combine(result.GetValue(outDir)!, ReleaseDocument.FileName)}");
        return 0;
    }
    catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
});

var releaseFile = new Option<string>("--release") { Description = "the release.json to check", Required = true };
var publicKey = new Option<string>("--public-key") { Description = "the release public key (64 hex digits) the devices embed", Required = true };
var bundleFile = new Option<string?>("--bundle") { Description = "the bundle file (default: the file named in release.json, next to it)" };
var verify = new Command("verify", "check a release as a device would: signature, size, SHA-256") { releaseFile, publicKey, bundleFile };
verify.SetAction(result =>
{
    try
    {
        string path = result.GetValue(releaseFile)!;
        var release = ReleaseDocument.Load(path);
        byte[] keyBytes = Convert.FromHexString(result.GetValue(publicKey)!);
        if (keyBytes.Length != 32) throw new InvalidDataException("the public key must be 32 bytes (64 hex digits)");
        string file = result.GetValue(bundleFile) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, release.File);
        var progress = new ProgressReporter(Console.Error, !Console.IsErrorRedirected);
        string? error = Releases.Verify(release, keyBytes, file, progress.Report);
        Console.WriteLine(error is null ? $"ok: {release.Target} {release.Version} is signed by that key and the bundle matches" : $"refused: {error}");
        return error is null ? 0 : 1;
    }
    catch (Exception e) when (e is IOException or InvalidDataException or FormatException or System.Text.Json.JsonException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
});

root.Subcommands.Add(keygen);
root.Subcommands.Add(publish);
root.Subcommands.Add(verify);
// The fleet's side of releases: upload and campaigns, thin over its HTTP API (FleetCommands.cs).
root.Subcommands.Add(FleetCommands.Upload());
root.Subcommands.Add(FleetCommands.Campaign());
return root.Parse(args).Invoke();
