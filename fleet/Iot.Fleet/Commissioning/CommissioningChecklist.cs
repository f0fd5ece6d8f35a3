using System.Text.Json;
using Dapper;
using Iot.Fleet.Hj212;
using Iot.Fleet.Provisioning;
using Iot.Fleet.Registry;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Contract.Http;
using Microsoft.Extensions.Options;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet.Commissioning;

/// <summary>Options of the commissioning check (section "Commissioning").</summary>
public sealed class CommissioningOptions
{
    /// <summary>Weakest Wi-Fi signal that passes; below it records arrive late or not at all.</summary>
    public int MinimumRssi { get; set; } = -85;

    /// <summary>The record the channel check reads must be this recent: the installer is proving the gateway works now.</summary>
    public TimeSpan RecentRecord { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// The installer's live checklist for one gateway: connected with its own credentials, clock synced,
/// every channel of the site kind present and plausible, signal strength, store drained. Computed
/// from what the gateway has sent, every time it is asked. For an HJ 212 monitor: logged in on the
/// receiver, its clock within the allowed drift (as read over 1011 and set over 1012), its channels.
/// </summary>
public sealed class CommissioningChecklist(FleetDatabase database, SiteRegistry registry, FactoryGateways factory, TimeProvider clock,
    IOptions<CommissioningOptions> options, Hj212Monitors? monitors = null, Hj212Receiver? receiver = null)
{
    public const string MonitorConnected = "monitor_connected";

    public const string OwnCredentials = "own_credentials";
    public const string ClockSynced = "clock_synced";
    public const string ChannelsPresent = "channels";
    public const string Signal = "signal";
    public const string StoreDrained = "store_drained";

    /// <summary>The checklist now; null for an unknown device.</summary>
    public CommissioningReport? For(string deviceId)
    {
        if (registry.View(deviceId) is not { } view) return null;
        using var connection = database.Open();
        var state = connection.QueryFirstOrDefault<(long? online, string? status)?>("SELECT online, status FROM device_state WHERE dev = @deviceId", new { deviceId });
        var status = state?.status is { } json ? JsonSerializer.Deserialize<DeviceStatus>(json) : null;
        var latest = connection.QueryFirstOrDefault<(long q, string m, long received_at)?>(
            "SELECT q, m, received_at FROM records WHERE dev = @deviceId ORDER BY row_id DESC LIMIT 1", new { deviceId });
        var site = view.Site is { } s ? registry.GetSite(s) : null;
        if (monitors?.ByDevice(deviceId) is { } monitor)
            return Report(deviceId, [.. MonitorChecks(monitor), Channels(site, latest)]);

        var checks = new List<CommissioningCheck>
        {
            Credentials(deviceId, state?.online == 1),
            status?.Clock switch
            {
                null => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Pending, "no status from the gateway yet"),
                "synced" => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Pass, null),
                var other => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Fail, $"the gateway reports its clock as '{other}': check NTP reachability"),
            },
            Channels(site, latest),
            status?.Rssi switch
            {
                null => Check(Signal, "Signal strength", CommissioningCheck.Pending, "no signal strength reported yet"),
                var rssi when rssi >= options.Value.MinimumRssi => Check(Signal, "Signal strength", CommissioningCheck.Pass, $"{rssi} dBm"),
                var rssi => Check(Signal, "Signal strength", CommissioningCheck.Fail, $"{rssi} dBm is weaker than {options.Value.MinimumRssi} dBm: move the antenna or add an access point"),
            },
            status?.Buffered switch
            {
                null => Check(StoreDrained, "Stored records sent", CommissioningCheck.Pending, "no status from the gateway yet"),
                0 => Check(StoreDrained, "Stored records sent", CommissioningCheck.Pass, null),
                var n => Check(StoreDrained, "Stored records sent", CommissioningCheck.Pending, $"{n} records still waiting in the gateway's store"),
            },
        };
        return Report(deviceId, checks);
    }

    private static CommissioningReport Report(string deviceId, List<CommissioningCheck> checks) =>
        new(deviceId, checks.All(c => c.Status == CommissioningCheck.Pass), checks);

    /// <summary>A monitor has no broker account, status or store: it is proven by its login and its clock.</summary>
    private IEnumerable<CommissioningCheck> MonitorChecks(Hj212Monitor monitor)
    {
        var connection = receiver?.Connections().FirstOrDefault(c => c.Device == monitor.Device);
        yield return connection is null
            ? Check(MonitorConnected, "Logged in on the HJ 212 receiver", CommissioningCheck.Pending,
                $"no connection with MN {monitor.Mn}: check the monitor's platform address, port, MN and password")
            : Check(MonitorConnected, "Logged in on the HJ 212 receiver", CommissioningCheck.Pass, $"MN {monitor.Mn} from {connection.Remote}");
        yield return connection switch
        {
            null or { ClockDriftSeconds: null } => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Pending, "the monitor's clock has not been read yet (1011)"),
            { ClockUnsynced: true } => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Fail,
                $"off by {connection.ClockDriftSeconds:0} s and not set right: the monitor did not take the time sent (1012)"),
            { ClockSet: true } => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Pass,
                $"was off by {connection.ClockDriftSeconds:0} s; set right over 1012"),
            _ => Check(ClockSynced, "Clock synchronised", CommissioningCheck.Pass, $"off by {connection.ClockDriftSeconds:0} s when read"),
        };
    }

    private CommissioningCheck Credentials(string deviceId, bool online)
    {
        const string label = "Connected with its own credentials";
        if (factory.Get(deviceId) is { } gateway)
        {
            if (gateway.SwitchedAt is not null) return Check(OwnCredentials, label, CommissioningCheck.Pass, null);
            return Check(OwnCredentials, label, CommissioningCheck.Pending, gateway.AnnouncedAt is null
                ? "the gateway has not announced itself yet: check power and network"
                : "claimed; waiting for the gateway to reconnect with its own credentials");
        }
        // A gateway registered directly got its credentials at registration; only its own account can publish its status.
        return online
            ? Check(OwnCredentials, label, CommissioningCheck.Pass, null)
            : Check(OwnCredentials, label, CommissioningCheck.Pending, "the gateway is not online");
    }

    private CommissioningCheck Channels(Site? site, (long q, string m, long received_at)? latest)
    {
        const string label = "Every channel present and plausible";
        if (site is null) return Check(ChannelsPresent, label, CommissioningCheck.Fail, "the gateway is not bound to a site");
        if (latest is not { } record || clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(record.received_at) > options.Value.RecentRecord)
            return Check(ChannelsPresent, label, CommissioningCheck.Pending, $"no record in the last {options.Value.RecentRecord.TotalMinutes:0} minutes");
        if ((record.q & QualityBits.NotEvidence) != 0)
            return Check(ChannelsPresent, label, CommissioningCheck.Fail, $"the latest record has quality bits {record.q} (warming up, sensor fault, tamper …)");
        var values = JsonSerializer.Deserialize<Dictionary<string, double>>(record.m) ?? [];
        var missing = Telemetry.Channels.Required(site.Kind).Where(c => !values.ContainsKey(c.Name)).Select(c => c.Name).ToList();
        return missing.Count == 0
            ? Check(ChannelsPresent, label, CommissioningCheck.Pass, string.Join(", ", values.Select(v => $"{v.Key} {v.Value:0.##}")))
            : Check(ChannelsPresent, label, CommissioningCheck.Fail, $"missing for a {site.Kind.ToString().ToLowerInvariant()} site: {string.Join(", ", missing)}");
    }

    private static CommissioningCheck Check(string name, string label, string status, string? detail) => new(name, label, status, detail);
}
