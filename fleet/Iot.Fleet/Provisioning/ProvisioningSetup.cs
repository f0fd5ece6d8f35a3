using Iot.Fleet.Broker;
using Iot.Fleet.Cluster;
using Iot.Fleet.Storage;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Provisioning;

/// <summary>Wires broker accounts (when `Broker:Enabled`: the fleet then owns Mosquitto's password and ACL
/// files, see Broker/README.md) and the claim flow.</summary>
public static class ProvisioningSetup
{
    public static IServiceCollection AddProvisioning(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProvisioningOptions>().BindConfiguration("Provisioning");
        if (configuration.GetValue<bool>("Broker:Enabled"))
        {
            var security = configuration.GetSection("Broker").Get<BrokerSecurityOptions>() ?? new BrokerSecurityOptions();
            services.AddSingleton(sp =>
            {
                var accounts = new BrokerAccounts(sp.GetRequiredService<FleetDatabase>(), security);
                // The files must match the database before anyone connects (they may be missing on a first start).
                accounts.Apply();
                return accounts;
            });
        }
        services.AddSingleton(sp => new FleetMqtt(sp.GetRequiredService<IOptions<FleetMqttOptions>>(), sp.GetService<BrokerAccounts>()));
        services.AddSingleton(sp => new FactoryGateways(sp.GetRequiredService<FleetDatabase>(), sp.GetRequiredService<Registry.SiteRegistry>(),
            sp.GetRequiredService<IOptions<ProvisioningOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<BrokerAccounts>()));
        services.AddSingleton<ClaimAttempts>();
        services.AddSingleton(sp => new ProvisioningExchange(sp.GetRequiredService<FleetMqtt>(),
            sp.GetRequiredService<FactoryGateways>(), sp.GetRequiredService<ILogger<ProvisioningExchange>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Health.FleetHealth>(), sp.GetService<BrokerAccounts>(), sp.GetService<Ingest.DeviceKeys>()));
        services.AddLeaderOnly<ProvisioningExchange>();
        return services;
    }
}
