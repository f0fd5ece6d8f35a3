using Iot.Fleet.Api;
using Iot.Fleet.People;
using Iot.Fleet.Registry;

namespace Iot.Fleet.Hj212;

/// <summary>HJ 212 monitors: profiles, the monitor registry and, when Hj212:Port is set, the TCP receiver.</summary>
public static class Hj212Setup
{
    public static IServiceCollection AddHj212(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<Hj212Options>().BindConfiguration("Hj212");
        services.AddSingleton<Hj212Profiles>();
        services.AddSingleton<Hj212Monitors>();
        services.AddSingleton<IDeviceProtocol>(sp => sp.GetRequiredService<Hj212Monitors>());
        services.AddSingleton<Hj212Receiver>();
        if (configuration.GetValue<int>("Hj212:Port") > 0)
            services.AddHostedService(sp => sp.GetRequiredService<Hj212Receiver>());
        return services;
    }

    public static void MapHj212Api(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/hj212").WithTags("HJ 212").RequireAuthorization();
        // Engineers see who is connected, from where, and how many frames were stored or refused.
        api.MapGet("/connections", (PageRequest page, Hj212Receiver receiver) => page.Of(receiver.Connections(), c => c.Remote)).RequireRoles(Roles.Engineer);
        api.MapGet("/profiles", (Hj212Profiles profiles) => profiles.Names.ToDictionary(n => n, n => profiles.Find(n)));
    }
}
