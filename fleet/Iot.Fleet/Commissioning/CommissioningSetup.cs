namespace Iot.Fleet.Commissioning;

/// <summary>Wires commissioning: the live checklist of a claimed gateway and the signed-off records.</summary>
public static class CommissioningSetup
{
    public static IServiceCollection AddCommissioning(this IServiceCollection services)
    {
        services.AddOptions<CommissioningOptions>().BindConfiguration("Commissioning");
        services.AddSingleton<CommissioningChecklist>();
        services.AddSingleton<CommissioningRecords>();
        return services;
    }
}
