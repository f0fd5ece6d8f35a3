using Iot.Contract.Factory;
using Iot.Contract.Identity;

namespace Iot.Provisioning;

/// <summary>
/// What the QR code on a gateway's label holds: <c>iotclaim:NS-000123?c=ABCD-EFGH-JK</c>. It carries the
/// id and the claim code, never the bootstrap secret.
/// </summary>
public sealed record ClaimPayload(string DeviceId, string ClaimCode)
{
    public const string Scheme = "iotclaim";

    public override string ToString() => $"{Scheme}:{DeviceId}?c={ClaimCode}";

    /// <summary>Parses a scanned payload; scheme and key are case-insensitive, the code is normalised.</summary>
    public static ClaimPayload? Parse(string? text, out string error)
    {
        text = text?.Trim() ?? "";
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
}

/// <summary>The label a factory identity prints.</summary>
public static class FactoryLabels
{
    extension(FactoryIdentity identity)
    {
        /// <summary>The QR payload on the gateway's label.</summary>
        public ClaimPayload Label => new(identity.Id, identity.ClaimCode);
    }
}
