using System.Security.Cryptography;
using Iot.Contract.Onboarding;

namespace Iot.Contract.Identity;

/// <summary>
/// The WPA2 password of a gateway's setup hotspot, made at the factory and printed on its label: 12 characters from
/// <see cref="Alphabet"/> (lower case and digits without 0, o, 1, l or i, so nothing is read two ways and a phone's
/// keyboard needs no shift), about 59 bits from the cryptographic RNG. It only matters while the hotspot is open
/// (someone holds the button inside the lid, or the gateway knows no network yet), so it may be on the label.
/// </summary>
public static class HotspotPassword
{
    public const string Alphabet = "23456789abcdefghjkmnpqrstuvwxyz";
    public const int Length = 12;

    public static string Generate()
    {
        Span<char> password = stackalloc char[Length];
        for (var i = 0; i < Length; i++) password[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return new string(password);
    }

    /// <summary>Whether the firmware takes it as <c>ap_password</c> (8 to 63 printable ASCII characters, no spaces).</summary>
    public static bool IsValid(string? password) => SetupHotspot.IsValidPassword(password);
}
