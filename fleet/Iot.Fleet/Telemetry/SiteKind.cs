
namespace Iot.Fleet.Telemetry;

/// <summary>What a site is monitored for; decides its channels and rules.</summary>
public enum SiteKind
{
    Noise,
    Dust,
    Fume,
}
