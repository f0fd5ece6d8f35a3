using System.Security.Cryptography;

namespace Iot.Contract.Identity;

/// <summary>
/// The secret a gateway leaves the factory with: its MQTT password until it is claimed, good only for
/// <c>iot/v1/{id}/prov/#</c>. 32 random bytes (256 bits), base64url without padding (43 characters).
/// </summary>
public static class BootstrapSecret
{
    public const int Bytes = 32;
    public const int TextLength = 43;

    public static string Generate() => Base64Url(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>Whether the text is shaped like a secret this class makes.</summary>
    public static bool IsWellFormed(string? secret) =>
        secret is { Length: TextLength } && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The MQTT topic filter a bootstrap credential may use (wire protocol, "Transport").</summary>
    public static string TopicFilter(string deviceId) => $"iot/v1/{deviceId}/prov/#";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
