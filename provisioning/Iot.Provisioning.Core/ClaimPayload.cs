using Iot.Contract.Factory;
using Iot.Contract.Identity;

namespace Iot.Provisioning;

/// <summary>
/// What the QR code on a gateway's label holds: a link to the fleet's installer page with the device and its claim code,
/// <c>https://fleet.example.gov.cn/install/?d=NS-000123&amp;c=ABCD-EFGH-JK</c>, so any phone camera or WeChat opens the
/// page with the code filled in. Labels printed without the fleet's address (<see cref="InstallerUrl"/> null) hold
/// <c>iotclaim:NS-000123?c=ABCD-EFGH-JK</c>, which the page's scanner and <c>iot-prov claim --qr</c> still read. Either
/// carries the id and the claim code, never the bootstrap secret.
/// </summary>
public sealed record ClaimPayload(string DeviceId, string ClaimCode, Uri? InstallerUrl = null)
{
    public const string Scheme = "iotclaim";

    /// <summary>The installer page under the fleet's address.</summary>
    public const string InstallerPath = "/install/";

    public override string ToString() => InstallerUrl is { } fleet
        ? $"{fleet.GetLeftPart(UriPartial.Authority)}{InstallerPath}?d={Uri.EscapeDataString(DeviceId)}&c={Uri.EscapeDataString(ClaimCode)}"
        : $"{Scheme}:{DeviceId}?c={ClaimCode}";

    /// <summary>Why <paramref name="url"/> cannot be the address printed on labels (null when it can): https only, since the
    /// claim code travels in it (http only to the machine itself, for trials).</summary>
    public static string? InstallerUrlProblem(Uri url) =>
        !url.IsAbsoluteUri ? $"'{url}' is not an absolute address"
        : url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback) ? null
        : $"labels link to the installer page over https, not {url.Scheme}: the claim code is in the link";

    /// <summary>Parses a scanned payload, a link to the installer page or an <c>iotclaim:</c> text; scheme and keys are
    /// case-insensitive, the code is normalised.</summary>
    public static ClaimPayload? Parse(string? text, out string error)
    {
        text = text?.Trim() ?? "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var link) && (link.Scheme == Uri.UriSchemeHttps || link.Scheme == Uri.UriSchemeHttp))
            return ParseLink(link, out error);
        var prefix = Scheme + ":";
        if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            error = $"not a claim label: it should start with '{prefix}'";
            return null;
        }
        var rest = text[prefix.Length..];
        var query = rest.IndexOf('?');
        if (query < 0)
        {
            error = "claim label has no claim code ('?c=')";
            return null;
        }
        var id = rest[..query];
        if (!Iot.Contract.Identity.DeviceId.IsValid(id))
        {
            error = $"claim label has a bad device id '{id}'";
            return null;
        }
        string? code = null;
        foreach (var pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0 && pair[..eq].Equals("c", StringComparison.OrdinalIgnoreCase)) code = Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        if (code is null)
        {
            error = "claim label has no claim code ('c=')";
            return null;
        }
        var normalized = Iot.Contract.Identity.ClaimCode.Normalize(code, out error);
        return normalized is null ? null : new ClaimPayload(id, normalized);
    }

    private static ClaimPayload? ParseLink(Uri link, out string error)
    {
        if (!link.AbsolutePath.Equals(InstallerPath, StringComparison.OrdinalIgnoreCase))
        {
            error = $"not a claim label: a link to {link.AbsolutePath}, not the installer page {InstallerPath}";
            return null;
        }
        string? id = null, code = null;
        foreach (var pair in link.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) continue;
            var (key, value) = (pair[..eq], Uri.UnescapeDataString(pair[(eq + 1)..]));
            if (key.Equals("d", StringComparison.OrdinalIgnoreCase)) id = value;
            if (key.Equals("c", StringComparison.OrdinalIgnoreCase)) code = value;
        }
        if (id is null || !Iot.Contract.Identity.DeviceId.IsValid(id))
        {
            error = $"claim link has {(id is null ? "no device id ('d=')" : $"a bad device id '{id}'")}";
            return null;
        }
        if (code is null)
        {
            error = "claim link has no claim code ('c=')";
            return null;
        }
        var normalized = Iot.Contract.Identity.ClaimCode.Normalize(code, out error);
        return normalized is null ? null : new ClaimPayload(id, normalized, new Uri(link.GetLeftPart(UriPartial.Authority)));
    }
}

/// <summary>The label a factory identity prints.</summary>
public static class FactoryLabels
{
    extension(FactoryIdentity identity)
    {
        /// <summary>The whole label: the claim QR linking to the installer page of the fleet at <paramref name="fleet"/>, and
        /// the setup hotspot's name, password and Wi-Fi QR when the factory gave the gateway a hotspot password.</summary>
        public Labels.GatewayLabel GatewayLabelFor(Uri? fleet) => new(identity.LabelFor(fleet),
            identity.HotspotPassword is { } password ? WifiJoinPayload.ForGateway(identity.Id, password) : null);

        /// <summary>The QR payload on the gateway's label, without the fleet's address (an <c>iotclaim:</c> text).</summary>
        public ClaimPayload Label => new(identity.Id, identity.ClaimCode);

        /// <summary>The QR payload on the gateway's label: a link to the installer page of the fleet at <paramref name="fleet"/>.</summary>
        public ClaimPayload LabelFor(Uri? fleet) => new(identity.Id, identity.ClaimCode, fleet);
    }
}
