using System.Text.Json;
using System.Text.Json.Serialization;
using Iot.Fleet.Api;
using Iot.Fleet.Broker;
using Iot.Fleet.Cases;
using Iot.Fleet.Cluster;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Complaints;
using Iot.Fleet.Evidence;
using Iot.Fleet.Forwarding;
using Iot.Fleet.Glossary;
using Iot.Fleet.Health;
using Iot.Fleet.Hj212;
using Iot.Fleet.Ingest;
using Iot.Fleet.Leads;
using Iot.Fleet.Meters;
using Iot.Fleet.Notices;
using Iot.Fleet.Onboarding;
using Iot.Fleet.Operations;
using Iot.Fleet.People;
using Iot.Fleet.Provisioning;
using Iot.Fleet.Registry;
using Iot.Fleet.Reports;
using Iot.Fleet.Rules;
using Iot.Fleet.Storage;
using Iot.Fleet.Updates;

namespace Iot.Fleet;

/// <summary>Wires the fleet's features; Program.cs calls these two and nothing else.</summary>
public static class FleetSetup
{
    public static WebApplicationBuilder AddFleet(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration("Database");
        services.AddOptions<InfluxOptions>().BindConfiguration("Influx")
            .Validate(o => InfluxRetention.Duration().IsMatch(o.MinuteRetention) && InfluxRetention.Duration().IsMatch(o.HourlyRetention),
                "Influx:MinuteRetention and Influx:HourlyRetention: give an InfluxQL duration in hours, days or weeks (104w, 730d) or INF")
            .ValidateOnStart();
        services.AddOptions<FleetMqttOptions>().BindConfiguration("Mqtt");
        services.AddOptions<MonitorOptions>().BindConfiguration("Monitor");
        services.AddSingleton(TimeProvider.System);
        // Stages supervise themselves (Health/SupervisedService); should one still throw, the host keeps serving.
        services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore);
        services.AddOptions<HealthOptions>().BindConfiguration("Health");
        services.AddSingleton<FleetHealth>();
        services.AddSingleton<HealthWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthWatch>());

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
            // The data folder first: a PostgreSQL deployment without Database:DataDirectory stops here, saying so.
            Directory.CreateDirectory(options.DataDirectory);
            var database = new FleetDatabase(options);
            database.Migrate();
            return database;
        });
        // Which instance judges, watches and sends (one on SQLite; the holder of a lock on PostgreSQL).
        services.AddSingleton<FleetLeadership>();
        services.AddHostedService(sp => sp.GetRequiredService<FleetLeadership>());
        services.AddHostedService<ChangeListener>();
        services.AddOptions<RawMessageOptions>().BindConfiguration("RawMessages").Validate(o => o.HotMinutes is >= 1 and <= 24 * 60,
            "RawMessages:HotMinutes: give 1 to 1440 minutes").ValidateOnStart();
        services.AddSingleton(sp => new RawMessageStore(sp.GetRequiredService<FleetDatabase>(),
            Path.Combine(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value.DataDirectory,
                sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RawMessageOptions>>().Value.Directory)));
        services.AddLeaderOnly<RawSegmentCompactor>();
        services.AddSingleton<RecordJournal>();
        services.AddOptions<RetentionOptions>().BindConfiguration("Retention").ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<RetentionOptions>, RetentionOptionsValidation>();
        services.AddSingleton<RetentionTrim>();
        services.AddLeaderOnly<RetentionTrim>();
        services.AddSingleton<LeadStore>();
        services.AddProfiles();
        services.AddSingleton<SiteRegistry>();
        services.AddSingleton<PartyRegister>();
        services.AddSingleton<Leads.AlertHandling>();
        services.AddSingleton<InfluxWriter>();
        services.AddLeaderOnly<InfluxWriter>();
        services.AddSingleton<LeadFeed>();
        services.AddSingleton<IngestCounters>();
        services.AddOptions<DeviceProofOptions>().BindConfiguration("DeviceProof");
        services.AddSingleton<DeviceKeys>();
        services.AddSingleton<IngestBacklog>();
        services.AddSingleton<FleetInstances>();
        services.AddSingleton<TelemetryIngest>();
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryIngest>());
        services.AddHj212(builder.Configuration);

        services.AddLeaderOnly<OfflineWatch>();
        services.AddSingleton<CalibrationWatch>();
        services.AddLeaderOnly<CalibrationWatch>();
        services.AddHostedService<BrokerQueueWatch>();
        services.AddComplaints();
        services.AddClosedLoop();
        services.AddEvidence();
        services.AddProvisioning(builder.Configuration);
        services.AddCommissioning();
        services.AddUpdates();
        services.AddMeters();
        services.AddNotices();
        services.AddForwarding();

        builder.AddHttpSecurity();
        builder.AddPeople();
        services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapFleet(this WebApplication app)
    {
        // The pages (wwwroot/): plain HTML and scripts, no CDN, so they work on a bureau's closed network.
        app.UseHttpSecurity();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        // Anonymous public pages are rate-limited per client (Notices/NoticesApi).
        app.UseRateLimiter();
        app.MapOpenApi().AllowAnonymous();
        app.MapGlossary();
        app.MapMetaApi();
        app.MapPeopleApi();
        app.MapRegistryApi();
        app.MapProfilesApi();
        app.MapLeadsApi();
        app.MapClosedLoop();
        app.MapComplaintsApi();
        app.MapEvidenceApi();
        app.MapProvisioningApi();
        app.MapCommissioningApi();
        app.MapImportApi();
        app.MapUpdatesApi();
        app.MapReportsApi();
        app.MapMetersApi();
        app.MapNotices();
        app.MapIngestApi();
        app.MapHj212Api();
        app.MapForwardingApi();
        app.MapDeviceKeysApi();
        app.MapHealth();
        return app;
    }
}
