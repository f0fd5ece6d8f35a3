using Iot.Fleet.Evidence;
using Iot.Fleet.Notifications;

namespace Iot.Fleet.Cases;

/// <summary>Wires the closed loop: squads and cases, the notification outbox and its sender, evidence export.</summary>
public static class ClosedLoopSetup
{
    public static IServiceCollection AddClosedLoop(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration("Notifications");
        services.AddSingleton<NotificationOutbox>();
        services.AddSingleton(sp => new NotificationSender(sp.GetRequiredService<NotificationOutbox>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<NotificationOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<NotificationSender>>()));
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
