namespace Iot.Provisioning.Sites;

/// <summary>
/// The kinds of site as the fleet's JSON names them (its <c>SiteKind</c> enum, camel-cased): a restaurant
/// kitchen (fume) or a construction site (noise, dust).
/// </summary>
public static class SiteKinds
{
    public const string Fume = "fume";
    public const string Noise = "noise";
    public const string Dust = "dust";

    public static readonly IReadOnlyList<string> All = [Fume, Noise, Dust];
}
