using System.Globalization;
using System.Text.RegularExpressions;

namespace Iot.Contract.Identity;

/// <summary>Device (and site) ids as the wire protocol defines them: <c>^[A-Z0-9][A-Z0-9-]{2,31}$</c>.</summary>
public static partial class DeviceId
{
    public const string Pattern = Iot.Contract.WireLimits.DeviceIdPattern;
    public const int MaxLength = Iot.Contract.WireLimits.MaxDeviceIdLength;

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Regex();

    [GeneratedRegex("^[A-Z0-9][A-Z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixRegex();

    public static bool IsValid(string? id) => id is not null && Regex().IsMatch(id);

    /// <summary>Why a factory prefix cannot make valid ids, or null if it can.</summary>
    public static string? CheckPrefix(string prefix, int digits)
    {
        if (!PrefixRegex().IsMatch(prefix))
            return $"prefix '{prefix}' must start with A-Z or 0-9 and contain only A-Z, 0-9 and '-'";
        if (prefix.Length + 1 + digits > MaxLength)
            return $"prefix '{prefix}' is too long: ids may have at most {MaxLength} characters";
        return null;
    }

    /// <summary>The factory id of a serial: prefix, a dash, the serial zero-padded (NS-000123).</summary>
    public static string Format(string prefix, long serial, int digits = 6) =>
        $"{prefix}-{serial.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0')}";
}
