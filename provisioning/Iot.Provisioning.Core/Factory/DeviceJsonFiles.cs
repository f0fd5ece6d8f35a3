using System.Text.Json.Nodes;
using Iot.Contract.Factory;
using Iot.Contract.Onboarding;

namespace Iot.Provisioning.Factory;

/// <summary>
/// What the flashing station needs per gateway: <c>device-json/{id}.json</c> with the device.json keys the factory
/// knows (<c>id</c>, <c>bootstrap_secret</c>, <c>ap_password</c>). The station adds what is the same for a whole
/// deployment (<c>broker</c>, <c>port</c>, <c>tls</c>, <c>release_key</c>, and <c>site</c>, <c>meter_baud</c>,
/// <c>ntp1</c>/<c>ntp2</c> where the defaults do not fit) before it writes I:\device.json. Secret like the factory list.
/// </summary>
public static class DeviceJsonFiles
{
    public const string FolderName = "device-json";

    /// <summary>The gateway's part of its device.json, one line.</summary>
    public static string Format(FactoryIdentity identity)
    {
        var json = new JsonObject
        {
            [DeviceJson.Id] = identity.Id,
            [DeviceJson.BootstrapSecret] = identity.BootstrapSecret,
        };
        if (identity.HotspotPassword is { } password) json[DeviceJson.HotspotPassword] = password;
        return json.ToJsonString() + "\n";
    }

    /// <summary>Writes one file per gateway into a new folder, all owner-only (0700 folder, 0600 files); never into an existing folder.</summary>
    public static void Write(string folder, IEnumerable<FactoryIdentity> identities)
    {
        if (Directory.Exists(folder) || File.Exists(folder)) throw new IOException($"{folder} already exists");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var identity in identities)
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var stream = new FileStream(Path.Combine(folder, identity.Id + ".json"), options);
            using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
            writer.Write(Format(identity));
        }
    }
}
