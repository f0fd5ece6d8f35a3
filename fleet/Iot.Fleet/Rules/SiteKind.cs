namespace Iot.Fleet.Rules;

/// <summary>What a site is monitored for; decides its channels and rules.</summary>
public enum SiteKind
{
    Noise,
    Dust,
    Fume,
}
