using Iot.Fleet.Api;
using Iot.Fleet.Cluster;
using Iot.Fleet.Health;
using Iot.Fleet.Ingest;
using Iot.Fleet.Leads;
using Iot.Fleet.Storage;

namespace Iot.Fleet.Operations;

/// <summary>GET /healthz: ready only when the ingest is subscribed and no stage is stalled (503 otherwise,
/// so a load balancer or systemd watchdog sees it); the counters and every stage's state either way.</summary>
public static class HealthApi
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (IngestCounters counters, InfluxWriter influx, FleetHealth health, HealthWatch watch, FleetLeadership leadership) =>
        {
            var stages = health.Report();
            var ready = counters.Ready && !stages.Any(s => s.Stalled);
            var body = new
            {
                ready,
                // Every instance ingests and serves; the leader also judges, watches and sends (Cluster/).
                leader = leadership.IsLeader,
                recordsReceived = counters.RecordsReceived,
                recordsStored = counters.RecordsStored,
                messagesRejected = counters.MessagesRejected,
                recordConflicts = counters.RecordConflicts,
                leadsRaised = counters.LeadsRaised,
                influxWrittenUpTo = influx.WrittenUpTo,
                influxFailing = influx.Failing,
                influxQuarantined = influx.Quarantined,
                diskLow = watch.DiskIsLow,
                stages,
            };
            return ready ? TypedResults.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health").AllowAnonymous();
    }
}
