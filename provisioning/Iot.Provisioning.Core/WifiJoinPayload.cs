using System.Text;
using Iot.Contract.Onboarding;

namespace Iot.Provisioning;

/// <summary>
/// What the small Wi-Fi QR on a gateway's label holds: its setup hotspot in the join format phone cameras read
/// (ZXing's "WIFI:" barcode, which Android's and iOS's cameras and WeChat's scanner act on),
/// <c>WIFI:T:WPA;S:IOT-NS-0001;P:k7qm29xpab4d;;</c>, with <c>\ ; , : "</c> escaped by a backslash in the SSID and the
/// password. One scan joins the hotspot; it only exists while the gateway's button is held or it knows no network.
/// </summary>
public sealed record WifiJoinPayload(string Ssid, string Password)
{
    /// <summary>The hotspot of the gateway <paramref name="deviceId"/>, named as its firmware names it.</summary>
    public static WifiJoinPayload ForGateway(string deviceId, string password) => new(SetupHotspot.Ssid(deviceId), password);

    public override string ToString() => $"WIFI:T:WPA;S:{Escape(Ssid)};P:{Escape(Password)};;";

    /// <summary>A field of the WIFI: format: backslash before each of <c>\ ; , : "</c>.</summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 4);
        foreach (var c in text)
        {
            if (c is '\\' or ';' or ',' or ':' or '"') escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
