using Iot.Fleet.Audit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Iot.Fleet.Evidence;

/// <summary>Wires the evidence: the signed bundles, the fleet's signing key and the device proofs they carry.</summary>
public static class EvidenceSetup
{
    public static IServiceCollection AddEvidence(this IServiceCollection services)
    {
        services.AddSingleton<EvidenceExport>();
        services.AddSingleton<EvidenceKeys>();
        // The device-proofs work replaces this with the proofs it keeps next to each raw message.
        services.TryAddSingleton<IDeviceProofs, StoredDeviceProofs>();
        return services;
    }
}
