using Iot.Fleet.Cluster;
using Iot.Fleet.Leads;
using Iot.Fleet.Notifications;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Cases;

/// <summary>Options of the closed loop (section "ClosedLoop").</summary>
public sealed class ClosedLoopOptions
{
    /// <summary>Two-person rule: a lead is dismissed only after someone acknowledged it (raised the case), and not by
    /// that same person, so nobody can bury a lead alone. On unless a bureau turns it off.</summary>
    public bool TwoPersonDismissal { get; set; } = true;

    /// <summary>Notice first: which breaches are minor offences, each rule in its own terms.</summary>
    public MinorOffenceOptions MinorOffences { get; set; } = new();

    /// <summary>Hours the command centre has to review a backfilled (late) lead: acknowledge or dismiss it. Such a lead
    /// tells of the past, so the 30-minute arrival target does not apply. Plain hours, not working days: the centre
    /// runs day and night, and working days move with the holiday swaps (调休). 24 h: the next shift sees it.</summary>
    public int ReviewHours { get; set; } = 24;

    /// <summary>Who may verify (核查) a result: someone other than who recorded it (`Person`), or also outside the squad
    /// the case was dispatched to (`Squad`).</summary>
    public VerificationRule Verification { get; set; } = VerificationRule.Person;

    /// <summary>A check-in further from the site than this plus the phone's stated accuracy is flagged `far` (kept, not refused).</summary>
    public double CheckInRadiusMeters { get; set; } = 300;
}

/// <summary>How independent a verification (核查) must be.</summary>
public enum VerificationRule
{
    /// <summary>Not the person who recorded the result or re-check.</summary>
    Person,
    /// <summary>Not that person, nor a member of the squad the case was dispatched to.</summary>
    Squad,
}

/// <summary>Checks the closed loop's options at start, so a mistyped margin stops the fleet with the key to fix
/// instead of judging notices by a wrong threshold.</summary>
public sealed class ClosedLoopOptionsValidation : IValidateOptions<ClosedLoopOptions>
{
    public ValidateOptionsResult Validate(string? name, ClosedLoopOptions options)
    {
        MinorOffences.Parse(options.MinorOffences, out var errors);
        var all = errors.ToList();
        if (!Enum.IsDefined(options.Verification))
            all.Add($"ClosedLoop:Verification = {options.Verification}: give Person or Squad");
        if (!(options.CheckInRadiusMeters is >= 10 and <= 10_000))
            all.Add($"ClosedLoop:CheckInRadiusMeters = {options.CheckInRadiusMeters}: give the metres (10 to 10000) a check-in may be from its site");
        if (options.ReviewHours is < 1 or > 24 * 14)
            all.Add($"ClosedLoop:ReviewHours = {options.ReviewHours}: give the hours (1 to 336) the command centre has to review a backfilled lead");
        return all.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(all);
    }
}

/// <summary>Wires the closed loop: squads and cases, the notification outbox and its sender (evidence: Evidence/EvidenceSetup).</summary>
public static class ClosedLoopSetup
{
    public static IServiceCollection AddClosedLoop(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration("Notifications");
        services.AddOptions<ClosedLoopOptions>().BindConfiguration("ClosedLoop").ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClosedLoopOptions>, ClosedLoopOptionsValidation>();
        services.AddSingleton<NotificationOutbox>();
        services.AddSingleton<ILeadOutbox>(sp => sp.GetRequiredService<NotificationOutbox>());
        services.AddSingleton(sp => new NotificationSender(sp.GetRequiredService<NotificationOutbox>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<NotificationOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<NotificationSender>>(), health: sp.GetRequiredService<Health.FleetHealth>()));
        services.AddLeaderOnly<NotificationSender>();
        services.AddSingleton<Squads>();
        services.AddSingleton<CaseStore>();
        services.AddLeaderOnly<OverdueWatch>();
        return services;
    }

    public static IEndpointRouteBuilder MapClosedLoop(this IEndpointRouteBuilder app)
    {
        app.MapCasesApi();
        app.MapNotificationsApi();
        return app;
    }
}
