using System.Text;
using System.Text.RegularExpressions;
using Iot.Contract.Factory;
using Iot.Contract.Identity;
using Iot.Contract.Onboarding;
using Iot.Gateway.Esp32;
using Iot.Gateway.Onboarding;
using Iot.Provisioning.Factory;
using Iot.Provisioning.Labels;

namespace Iot.Provisioning.Tests;

/// <summary>The setup hotspot as the factory gives it to a gateway: the password, the device.json part the flashing station
/// writes (read back by the firmware's own parser) and the label's Wi-Fi QR.</summary>
public sealed class SetupHotspotTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly string folder = Directory.CreateTempSubdirectory("iot-prov-hotspot-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Passwords_are_12_unambiguous_characters_unique_across_a_batch_and_the_firmware_takes_them()
    {
        var passwords = FactoryBatch.Generate("NS", 1, 2000, 6, Now).Select(i => i.HotspotPassword!).ToList();
        Assert.All(passwords, p =>
        {
            Assert.Equal(HotspotPassword.Length, p.Length);
            Assert.All(p, c => Assert.Contains(c, HotspotPassword.Alphabet));
            Assert.True(WifiOnboarding.IsValidAccessPointPassword(p), p);
        });
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
        Assert.DoesNotContain(HotspotPassword.Alphabet, c => "0o1li".Contains(c) || char.IsUpper(c));
        // 12 of 31 symbols: about 59 bits, and every symbol turns up (no biased or truncated generator).
        Assert.True(HotspotPassword.Length * Math.Log2(HotspotPassword.Alphabet.Length) >= 59);
        Assert.Equal(HotspotPassword.Alphabet.Length, passwords.SelectMany(p => p).Distinct().Count());
    }

    [Fact]
    public void Two_batches_with_the_same_serials_get_different_passwords()
    {
        // Not derived from the id, the serial or the time: a second run of the same command gives other passwords.
        var first = FactoryBatch.Generate("NS", 1, 50, 6, Now).Select(i => i.HotspotPassword).ToList();
        var second = FactoryBatch.Generate("NS", 1, 50, 6, Now).Select(i => i.HotspotPassword).ToList();
        Assert.Empty(first.Intersect(second));
        Assert.NotEqual(HotspotPassword.Generate(), HotspotPassword.Generate());
    }

    [Theory]
    [InlineData("NS-000001", "IOT-S-000001")]
    [InlineData("NS-0001", "IOT-NS-0001")]
    [InlineData("AB-CD-1234567", "IOT-1234567")]
    public void The_label_names_the_hotspot_as_the_firmware_opens_it(string id, string ssid)
    {
        Assert.Equal(ssid, WifiJoinPayload.ForGateway(id, "k7qm29xpab4d").Ssid);
        Assert.Equal(WifiOnboarding.AccessPointSsid(id), WifiJoinPayload.ForGateway(id, "k7qm29xpab4d").Ssid);
    }

    [Fact]
    public void The_wifi_qr_text_is_the_join_format_phone_cameras_read()
    {
        Assert.Equal("WIFI:T:WPA;S:IOT-S-000001;P:k7qm29xpab4d;;", WifiJoinPayload.ForGateway("NS-000001", "k7qm29xpab4d").ToString());
    }

    [Theory]
    [InlineData("my;net", "pa;ss:wo,rd")]
    [InlineData("a\\b", "\"quoted\"")]
    [InlineData("WIFI:T:WEP;S:evil;;", "P:x;;T:nopass;;")]
    [InlineData(";;;", "\\\\;\\")]
    [InlineData("咖啡店 Wi-Fi", "ends with a backslash\\")]
    public void Hostile_names_and_passwords_are_escaped_and_read_back_unchanged(string ssid, string password)
    {
        var text = new WifiJoinPayload(ssid, password).ToString();
        var fields = ReadJoinText(text);
        Assert.Equal(["T", "S", "P"], fields.Keys);
        Assert.Equal("WPA", fields["T"]);
        Assert.Equal(ssid, fields["S"]);
        Assert.Equal(password, fields["P"]);
        // Every special character is escaped: none is left bare inside a field.
        Assert.DoesNotMatch(@"(?<!\\)(\\\\)*[,""]", text.Replace("WIFI:", ""));
    }

    [Fact]
    public void The_wifi_escape_covers_backslash_semicolon_comma_colon_and_quote()
    {
        Assert.Equal(@"\\\;\,\:\""x", WifiJoinPayload.Escape(@"\;,:""x"));
        Assert.Equal("plain-text_123", WifiJoinPayload.Escape("plain-text_123"));
    }

    [Fact]
    public void The_device_json_part_holds_id_secret_and_password_and_the_firmware_reads_it_once_the_station_adds_the_broker()
    {
        var batch = FactoryBatch.Generate("NS", 41, 3, 6, Now);
        var path = Path.Combine(folder, DeviceJsonFiles.FolderName);
        DeviceJsonFiles.Write(path, batch);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
        Assert.Equal(batch.Select(i => i.Id + ".json"), Directory.GetFiles(path).Select(Path.GetFileName).Order());

        foreach (var identity in batch)
        {
            var file = Path.Combine(path, identity.Id + ".json");
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var text = File.ReadAllText(file);
            var json = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
            // Only keys the firmware reads, only what the factory knows.
            Assert.Equal([DeviceJson.Id, DeviceJson.BootstrapSecret, DeviceJson.HotspotPassword], json.Select(p => p.Key));

            // As it leaves the factory the file is incomplete: the firmware refuses it for want of the broker.
            Assert.Equal("broker is missing", new DeviceSettings().Parse(Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetByteCount(text)));

            // The flashing station adds the deployment's settings; the firmware's own parser then takes every field.
            json[DeviceJson.Broker] = "mqtt.example.cn";
            json[DeviceJson.Port] = 8883;
            json[DeviceJson.Tls] = true;
            json[DeviceJson.ReleaseKey] = new string('a', 64);
            var complete = Encoding.UTF8.GetBytes(json.ToJsonString());
            Assert.True(complete.Length <= DeviceJson.MaxBytes);
            var settings = new DeviceSettings();
            Assert.Null(settings.Parse(complete, complete.Length));
            Assert.Equal(identity.Id, settings.DeviceId);
            Assert.Equal(identity.BootstrapSecret, settings.BootstrapSecret);
            Assert.Equal(identity.HotspotPassword, settings.HotspotPassword);
            Assert.True(WifiOnboarding.IsValidAccessPointPassword(settings.HotspotPassword));
            Assert.Null(settings.UserName); // unclaimed: the bootstrap account until the fleet answers a claim
        }
        Assert.Throws<IOException>(() => DeviceJsonFiles.Write(path, batch)); // never into an existing folder
    }

    [Fact]
    public void A_gateway_from_an_older_list_gets_no_ap_password_key()
    {
        var old = new FactoryIdentity("NS-000001", ClaimCode.Generate(), BootstrapSecret.Generate(), Now);
        Assert.DoesNotContain(DeviceJson.HotspotPassword, DeviceJsonFiles.Format(old));
    }

    [Fact]
    public void A_label_carries_the_claim_qr_and_the_hotspot_name_password_and_wifi_qr()
    {
        var batch = FactoryBatch.Generate("NS", 1, 6, 6, Now);
        var fleet = new Uri("https://fleet.example");
        var html = LabelSheet.Render(batch.Select(i => i.GatewayLabelFor(fleet)).ToList(), "test");

        Assert.Equal(2 * batch.Count, Regex.Matches(html, "<svg").Count);
        var labels = Regex.Matches(html,
            "<div class=\"label with-wifi\" data-claim=\"([^\"]+)\" data-wifi=\"([^\"]+)\">(<svg.*?</svg>)(.*?)</div></div></div></div></div>",
            RegexOptions.Singleline);
        Assert.Equal(batch.Count, labels.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var (claim, wifi) = (labels[i].Groups[1].Value, System.Net.WebUtility.HtmlDecode(labels[i].Groups[2].Value));
            var hotspot = WifiJoinPayload.ForGateway(batch[i].Id, batch[i].HotspotPassword!);
            Assert.Equal(batch[i].LabelFor(fleet), ClaimPayload.Parse(System.Net.WebUtility.HtmlDecode(claim), out _));
            Assert.Equal(hotspot.ToString(), wifi);
            // QRCoder cannot decode; what we can prove is that the codes drawn are QRCoder's codes for these payloads
            // (the browser tests decode the printed label with jsQR).
            Assert.Equal(LabelSheet.QrSvg(batch[i].LabelFor(fleet)), labels[i].Groups[3].Value);
            Assert.Contains(LabelSheet.QrSvg(hotspot), labels[i].Groups[4].Value);
            Assert.Contains($"<div class=\"net\">{hotspot.Ssid}</div><div class=\"pass\">{batch[i].HotspotPassword}</div>", labels[i].Groups[4].Value);
            Assert.DoesNotContain(batch[i].BootstrapSecret, html);
        }
        Assert.Contains("设置热点", html);
        Assert.Contains("setup Wi-Fi", html);
    }

    /// <summary>Reads a WIFI: text as ZXing's WifiResultParser does: fields up to an unescaped ';', a backslash takes the next character.</summary>
    private static Dictionary<string, string> ReadJoinText(string text)
    {
        Assert.StartsWith("WIFI:", text);
        Assert.EndsWith(";;", text);
        var fields = new Dictionary<string, string>();
        var field = new StringBuilder();
        var body = text["WIFI:".Length..];
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\\' && i + 1 < body.Length) { field.Append(body[++i]); continue; }
            if (body[i] != ';') { field.Append(body[i]); continue; }
            if (field.Length == 0) break; // ";;" ends the text
            var pair = field.ToString();
            var colon = pair.IndexOf(':');
            Assert.True(colon > 0, pair);
            fields.Add(pair[..colon], pair[(colon + 1)..]);
            field.Clear();
        }
        return fields;
    }
}
