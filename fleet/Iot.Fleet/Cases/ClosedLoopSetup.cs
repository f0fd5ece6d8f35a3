using Iot.Fleet.Evidence;
using Iot.Fleet.Notifications;

namespace Iot.Fleet.Cases;

/// <summary>Options of the closed loop (section "ClosedLoop").</summary>
public sealed class ClosedLoopOptions
{
    /// <summary>Two-person rule: a lead is dismissed only after someone acknowledged it (raised the case), and not by
    /// that same person, so nobody can bury a lead alone. On unless a bureau turns it off.</summary>
    public bool TwoPersonDismissal { get; set; } = true;
}

/// <summary>Wires the closed loop: squads and cases, the notification outbox and its sender, evidence export.</summary>
public static class ClosedLoopSetup
{
    public static IServiceCollection AddClosedLoop(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration("Notifications");
        services.AddOptions<ClosedLoopOptions>().BindConfiguration("ClosedLoop");
        services.AddSingleton<NotificationOutbox>();
        services.AddSingleton(sp => new NotificationSender(sp.GetRequiredService<NotificationOutbox>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<NotificationOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<NotificationSender>>(), health: sp.GetRequiredService<Health.FleetHealth>()));
        services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());
        services.AddSingleton<Squads>();
        services.AddSingleton<CaseStore>();
        services.AddHostedService<OverdueWatch>();
        services.AddSingleton<EvidenceExport>();
        return services;
    }

    public static IEndpointRouteBuilder MapClosedLoop(this IEndpointRouteBuilder app)
    {
        app.MapCasesApi();
        app.MapNotificationsApi();
        app.MapEvidenceApi();
        return app;
    }
}
