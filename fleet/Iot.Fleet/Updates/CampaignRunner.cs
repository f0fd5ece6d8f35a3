using Iot.Contract;
using Iot.Fleet.Broker;
using Iot.Fleet.Health;
using System.Text.Json;
using Dapper;
using Iot.Fleet.Ingest;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using MQTTnet;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Iot.Fleet.Updates;

/// <summary>
/// Drives the campaigns: publishes OTA commands (QoS 1) on `iot/v1/{id}/cmd`, reads acks on `iot/v1/+/ack` and `ota`
/// events on `iot/v1/+/event` with its own MQTT session (client id `{Mqtt:ClientId}-ota`, persistent, so reports sent
/// while the fleet restarts are delivered afterwards), looks for each confirmed device's health in what the ingest
/// stored, and ticks the Rollout every Updates:TickSeconds.
/// </summary>
public sealed class CampaignRunner(
    Rollout rollout,
    FleetDatabase database,
    IOptions<UpdatesOptions> options,
    FleetMqtt mqtt,
    IServer server,
    TimeProvider clock,
    FleetHealth health,
    ILogger<CampaignRunner> logger) : SupervisedService(health, logger, clock)
{
    protected override string Stage => "ota";

    protected override async Task RunAsync(CancellationToken stop)
    {
        await Task.Yield();
        using var session = await mqtt.OpenAsync("-ota", Logger, stop, session => session
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)TimeSpan.FromDays(1).TotalSeconds));
        await session.SubscribeAsync([Topics.EveryDevice(Topics.Ack), Topics.EveryDevice(Topics.Event)], stop);
        rollout.BundleBaseUrl = BaseUrl();

        using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.TickSeconds), Clock);
        var tick = ticker.WaitForNextTickAsync(stop).AsTask();
        var message = session.ReadAsync().AsTask();
        // Reports applied to the rollout but not saved yet: acknowledged only once saved (a crash before sends them again).
        var unsaved = new List<MqttApplicationMessageReceivedEventArgs>();
        async Task SaveAndAcknowledge()
        {
            rollout.Save();
            var saved = unsaved.ToArray();
            unsaved.Clear();
            foreach (var r in saved) await r.AcknowledgeAsync(stop);
        }
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var done = await Task.WhenAny(tick, message);
                if (done == message)
                {
                    var report = await message;
                    message = session.ReadAsync().AsTask();
                    do
                    {
                        Read(report.ApplicationMessage);
                        unsaved.Add(report);
                    } while (session.TryRead(out report));
                    await SaveAndAcknowledge();
                    continue;
                }
                await tick;
                tick = ticker.WaitForNextTickAsync(stop).AsTask();
                if (unsaved.Count > 0) await SaveAndAcknowledge(); // after a failed save
                CheckHealth();
                foreach (var command in rollout.Tick())
                    await session.PublishAsync(Topics.For(command.Device, Topics.Command), command.Payload, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or System.Data.Common.DbException or TimeoutException
                                      || (e is IOException && session.Client.IsConnected))
            {
                // A command not published stays `sent` and is re-sent after resend_after_s. A lost connection (IOException
                // while disconnected) restarts the stage, and the broker sends the unacknowledged reports again.
                Logger.LogWarning("OTA: {Reason}; carrying on", e.Message);
                await Task.Delay(500, stop);
            }
        }
    }

    /// <summary>Feeds an ack or an ota event to the rollout; anything else (other events, bad JSON) is not ours.</summary>
    private void Read(MqttApplicationMessage message)
    {
        // One bad report never stops the campaigns of the other devices.
        try
        {
            if (!Topics.TryParse(message.Topic, out var device, out var kind) || message.Payload.Length > WireProtocol.MaxPayloadBytes) return;
            if (ParseReport(device, kind, System.Buffers.BuffersExtensions.ToArray(message.Payload)) is { } report) rollout.Apply(report);
        }
        catch (Exception e) when (e is not OperationCanceledException and not System.Data.Common.DbException)
        {
            Logger.LogWarning(e, "OTA: ignored a report on {Topic} that could not be applied", message.Topic);
        }
    }

    /// <summary>An ack (`{"cmd":"ota","id":…,"ok":…,"phase"|"error":…}`) or an ota event as a report; null for anything else.</summary>
    internal static OtaReport? ParseReport(string device, string kind, ReadOnlySpan<byte> payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "dev") != device) return null;
            if (kind == Topics.Ack)
            {
                if (Text(root, "cmd") != "ota" || Text(root, "id") is not { } ackId) return null;
                bool ok = root.TryGetProperty("ok", out var okElement) && okElement.ValueKind == JsonValueKind.True;
                return new OtaReport(device, ackId, ok ? Text(root, "phase") : null, ok ? null : Text(root, "error"), IsAck: true, Ok: ok);
            }
            if (kind != Topics.Event || Text(root, "type") != EventType.Ota || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object) return null;
            if (Text(data, "id") is not { } id || Text(data, "phase") is not { } phase) return null;
            int? percent = data.TryGetProperty("percent", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var v) && v is >= 0 and <= 100 ? v : null;
            return new OtaReport(device, id, phase, Text(data, "reason"), percent, Text(data, "running"), Version: Text(data, "version"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The health gate's evidence, from what the ingest stored: the device's status says it is online on the
    /// new version, and it delivered a valid record (no quality bit 1–16) from that version since the command.</summary>
    private void CheckHealth()
    {
        var waiting = rollout.AwaitingHealth();
        if (waiting.Count == 0) return;
        using var connection = database.Open();
        foreach (var (campaign, device, version, since) in waiting)
        {
            bool healthy = connection.ExecuteScalar<long>(
                """
                SELECT EXISTS (SELECT 1 FROM device_state WHERE dev = @device AND online = 1 AND firmware = @version)
                   AND EXISTS (SELECT 1 FROM records WHERE dev = @device AND fw = @version AND (q & 31) = 0 AND received_at >= @since)
                """, new { device, version, since = since.ToUnixTimeMilliseconds() }) == 1;
            if (healthy) rollout.Healthy(campaign, device);
        }
    }

    private string BaseUrl()
    {
        if (options.Value.BundleBaseUrl is { Length: > 0 } configured) return configured;
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:8080";
        // A wildcard binding is no address a device can use; the loopback one at least works on this machine.
        return address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1");
    }
}
