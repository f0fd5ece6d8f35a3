namespace Iot.Fleet.Updates;

/// <summary>Options of over-the-air updates (section "Updates").</summary>
public sealed class UpdatesOptions
{
    /// <summary>Release public keys (64 hex digits each) the fleet accepts uploads from: the keys the gateways embed.
    /// The fleet never holds a private key; it re-checks what the release tool signed.</summary>
    public List<string> ReleaseKeys { get; set; } = [];

    /// <summary>Folder for release bundles; empty: `releases/` next to the database file.</summary>
    public string? Directory { get; set; }

    /// <summary>Base URL gateways download bundles from (e.g. `https://fleet.example`); empty: the fleet's first HTTP address.</summary>
    public string? BundleBaseUrl { get; set; }

    /// <summary>How often the campaign runner re-evaluates gates, timeouts and stages.</summary>
    public double TickSeconds { get; set; } = 1;

    /// <summary>Largest bundle accepted on upload.</summary>
    public long MaxBundleBytes { get; set; } = 16 * 1024 * 1024;
}
