using System.Data.Common;
using System.Text.Json.Nodes;
using System.Text.Json;
using Dapper;
using Iot.Contract.Signing;
using Iot.Fleet.Api;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Updates;

/// <summary>A device as a campaign's target filter sees it.</summary>
public sealed record FleetDevice(string Id, string? SiteKind, string? Grid, string? Firmware);

/// <summary>
/// What a device said about a job: an ack on `iot/v1/{id}/ack` or an `ota` event. Version is the release the event is
/// about (events carry it, acks do not); Running the version the device ran when it wrote the event.
/// </summary>
public sealed record OtaReport(string Device, string JobId, string? Phase, string? Reason = null, int? Percent = null, string? Running = null,
    bool IsAck = false, bool Ok = true, string? Version = null);

/// <summary>An OTA command to publish on a device's cmd topic.</summary>
public sealed record OtaCommand(string Device, long Campaign, string Payload);

/// <summary>
/// The campaigns' state machine: which devices get the command when, what they said, the health gate, the halt
/// threshold and the timeouts. Pure logic over the clock it is given (tests drive time); every change is written to
/// the fleet database in one transaction per Save, and a new Rollout on the same database carries on where the last
/// one stopped. The CampaignRunner feeds it MQTT reports and health evidence and publishes the commands it returns.
/// </summary>
public sealed class Rollout
{
    private readonly FleetDatabase _database;
    private readonly TimeProvider _clock;
    private readonly object _lock = new();
    private readonly Dictionary<long, Campaign> _campaigns = [];
    private string _bundleBaseUrl = "http://127.0.0.1";

    public Rollout(FleetDatabase database, TimeProvider clock)
    {
        _database = database;
        _clock = clock;
        Load();
    }

    /// <summary>Base URL the bundle links in commands start with (the fleet's public address).</summary>
    public string BundleBaseUrl
    {
        get { lock (_lock) return _bundleBaseUrl; }
        set { lock (_lock) _bundleBaseUrl = value.TrimEnd('/'); }
    }

    public IReadOnlyList<Campaign> All()
    {
        lock (_lock) return _campaigns.Values.OrderBy(c => c.Id).ToList();
    }

    public Campaign? Find(long id)
    {
        lock (_lock) return _campaigns.GetValueOrDefault(id);
    }

    /// <summary>The devices a target filter can pick from: registered ones with their site and last reported firmware.</summary>
    public IReadOnlyList<FleetDevice> FleetDevices()
    {
        using var connection = _database.Open();
        return connection.Query<FleetDevice>(
            """
            SELECT d.id AS Id, s.kind AS SiteKind, s.grid AS Grid, ds.firmware AS Firmware
            FROM devices d LEFT JOIN sites s ON s.id = d.site LEFT JOIN device_state ds ON ds.dev = d.id ORDER BY d.id
            """).ToList();
    }

    /// <summary>
    /// Creates a campaign of release for the devices the spec targets. Devices in another active campaign, and those
    /// already running the release, are listed as skipped with the reason. Refused (with why) when the spec is
    /// invalid, nothing is left to update, or it would downgrade a device without both the campaign and the signed
    /// release allowing it (the device itself refuses an unsigned downgrade: downgrade_refused).
    /// </summary>
    public Campaign Create(CampaignSpec spec, Release release, IReadOnlyList<FleetDevice> fleet, long? rollbackOf = null)
    {
        if (spec.Problem() is { } problem) throw new RefusalException(problem);
        var target = spec.Target ?? new CampaignTarget();
        var known = fleet.ToDictionary(d => d.Id, StringComparer.Ordinal);
        if (target.Devices is { Count: > 0 } listed && listed.FirstOrDefault(d => !known.ContainsKey(d)) is { } unknown)
            throw new RefusalException($"device {unknown} is not registered in the fleet");
        var chosen = fleet.Where(d =>
                (target.SiteKind is null || string.Equals(d.SiteKind, target.SiteKind, StringComparison.OrdinalIgnoreCase))
                && (target.Grid is null || d.Grid == target.Grid)
                && (target.Firmware is null || d.Firmware == target.Firmware)
                && (target.Devices is not { Count: > 0 } || target.Devices.Contains(d.Id)))
            .OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        if (chosen.Count == 0) throw new RefusalException("no registered device matches the target");

        var downgrades = chosen.Where(d => d.Firmware is { } fw && ReleaseManifest.IsValidVersion(fw) && ReleaseManifest.CompareVersions(release.Version, fw) < 0).ToList();
        if (downgrades.Count > 0)
        {
            var example = $"{downgrades[0].Id} runs {downgrades[0].Firmware}";
            if (!spec.AllowDowngrade)
                throw new RefusalException($"downgrade refused: {downgrades.Count} targeted device(s) run a newer version than {release.Version} (e.g. {example}); set allowDowngrade to mean it");
            if (!release.AllowDowngrade)
                throw new RefusalException($"downgrade refused: release {release.Version} is not signed with allow_downgrade, so devices would refuse it ({example}); publish a downgrade release with iot-release publish --allow-downgrade");
        }

        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            var busy = _campaigns.Values.Where(c => CampaignStatus.IsActive(c.Status))
                .SelectMany(c => c.Devices.Where(d => d.State != UpdateState.Skipped).Select(d => (d.Id, c.Id)))
                .GroupBy(p => p.Item1).ToDictionary(g => g.Key, g => g.First().Item2, StringComparer.Ordinal);
            var eligible = chosen.Where(d => !busy.ContainsKey(d.Id) && d.Firmware != release.Version).ToList();
            if (eligible.Count == 0)
                throw new RefusalException("every targeted device is in another active campaign or already runs this version", StatusCodes.Status409Conflict);
            var shares = spec.StageShares;
            var bounds = shares.Select(s => Math.Max(1, (int)Math.Ceiling(s / 100 * eligible.Count))).ToArray();
            var id = NextId();
            var campaign = new Campaign
            {
                Id = id, Spec = spec, Release = release, RollbackOf = rollbackOf, CreatedAt = now, UpdatedAt = now, LastTick = now, Dirty = true,
                SendCredit = spec.RatePerMinute is null ? 0 : 1, // the first command goes at once
            };
            var order = 0;
            foreach (var d in chosen)
            {
                string? skip = busy.TryGetValue(d.Id, out var other) ? $"in active campaign {other}" : d.Firmware == release.Version ? "already_running" : null;
                var stage = skip is null ? Array.FindIndex(bounds, b => order < b) : -1;
                campaign.Devices.Add(new CampaignDevice
                {
                    Id = d.Id, Order = skip is null ? order++ : -1, Stage = stage, From = d.Firmware,
                    State = skip is null ? UpdateState.Queued : UpdateState.Skipped, Reason = skip, UpdatedAt = now, Dirty = true,
                });
            }
            _campaigns[id] = campaign;
            SaveChanges();
            return campaign;
        }
    }

    /// <summary>A campaign back to the version the devices of campaign id ran before (or to version), for the ones it updated.</summary>
    public Campaign Rollback(long id, Release release, CampaignSpec? overrides)
    {
        Campaign source;
        List<string> devices;
        lock (_lock)
        {
            source = _campaigns.GetValueOrDefault(id) ?? throw new RefusalException($"no campaign {id}", StatusCodes.Status404NotFound);
            devices = source.Devices.Where(d => d.State is UpdateState.Confirmed or UpdateState.Trial or UpdateState.Installing || d.Running == source.Release.Version)
                .Select(d => d.Id).ToList();
            if (devices.Count == 0) throw new RefusalException($"no device of campaign {id} runs {source.Release.Version}; nothing to roll back");
            if (CampaignStatus.IsActive(source.Status)) Finish(source, CampaignStatus.Aborted, "aborted for a rollback");
            SaveChanges();
        }
        var spec = (overrides ?? new CampaignSpec(release.Version)) with
        {
            Version = release.Version,
            Target = new CampaignTarget(Devices: devices),
            AllowDowngrade = true,
            Notes = overrides?.Notes ?? $"rollback of campaign {id}",
        };
        return Create(spec, release, FleetDevices(), rollbackOf: id);
    }

    /// <summary>The version most devices of a campaign ran before it (the default target of its rollback).</summary>
    public string? PreviousVersion(long id)
    {
        lock (_lock)
            return _campaigns.GetValueOrDefault(id)?.Devices.Where(d => d.From is not null && d.State != UpdateState.Skipped)
                .GroupBy(d => d.From!).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
    }

    public Campaign Pause(long id) => Change(id, c => c.Status == CampaignStatus.Running, CampaignStatus.Paused, "paused by an engineer");

    public Campaign Resume(long id) => Change(id, c => c.Status == CampaignStatus.Paused, CampaignStatus.Running, null);

    public Campaign Abort(long id) => Change(id, c => CampaignStatus.IsActive(c.Status), CampaignStatus.Aborted, "aborted by an engineer");

    private Campaign Change(long id, Func<Campaign, bool> allowed, string status, string? reason)
    {
        lock (_lock)
        {
            var campaign = _campaigns.GetValueOrDefault(id) ?? throw new RefusalException($"no campaign {id}", StatusCodes.Status404NotFound);
            if (!allowed(campaign)) throw new RefusalException($"campaign {id} is {campaign.Status}; it cannot become {status}", StatusCodes.Status409Conflict);
            Finish(campaign, status, reason);
            campaign.LastTick = _clock.GetUtcNow();
            SaveChanges();
            return campaign;
        }
    }

    /// <summary>
    /// Records what a device said about a job of one of our campaigns; false when the job is not ours: another job id,
    /// an event about another release than the campaign's (a job id the device kept from a campaign of an earlier
    /// fleet database, say), or a `confirmed` from a device that says it runs another version.
    /// </summary>
    public bool Apply(OtaReport report)
    {
        lock (_lock)
        {
            if (Campaign.IdOfJob(report.JobId) is not { } id || !_campaigns.TryGetValue(id, out var campaign)) return false;
            var device = campaign.Devices.FirstOrDefault(d => d.Id == report.Device);
            if (device is null || device.State is UpdateState.Skipped or UpdateState.Queued) return false;
            if (report.Version is { } version && version != campaign.Release.Version) return false;
            if (report.Phase == UpdateState.Confirmed && !report.IsAck && report.Running is { } running && running != campaign.Release.Version) return false;
            var now = _clock.GetUtcNow();
            device.HeardAt = now;
            device.Dirty = true;
            device.UpdatedAt = now;
            if (report.Running is not null) device.Running = report.Running;
            string? phase = report.Phase;
            string? reason = report.Reason;
            if (report.IsAck && !report.Ok)
            {
                // A refused command: the device says why (downgrade_refused, too_large, busy, bad_command).
                phase = UpdateState.Failed;
                reason ??= "refused";
            }
            if (phase is null) return true;
            // Reports of one job can arrive late or twice (a re-sent outcome after a reboot): an outcome is not
            // replaced by an earlier phase, but a device that spoke again after a timeout is believed.
            bool outcome = UpdateState.IsOutcome(device.State);
            if (outcome && !UpdateState.IsOutcome(phase)) return true;
            if (report.IsAck && phase == UpdateState.Checking && device.State != UpdateState.Sent && device.State != UpdateState.TimedOut) return true;
            device.State = phase;
            device.Reason = phase is UpdateState.Failed or UpdateState.RolledBack ? reason : null;
            if (phase == UpdateState.Downloading) device.Percent = report.Percent ?? device.Percent;
            if (phase is UpdateState.Verified or UpdateState.Installing or UpdateState.Trial or UpdateState.Confirmed) device.Percent = 100;
            if (phase is UpdateState.Installing or UpdateState.Trial or UpdateState.Confirmed) device.SwitchedAt ??= now;
            if (phase == UpdateState.Confirmed && device.Health == HealthGate.NotYet) device.Health = HealthGate.Pending;
            return true;
        }
    }

    /// <summary>Devices confirmed by themselves whose health the fleet still has to see: (campaign, device, version, since).</summary>
    public IReadOnlyList<(long Campaign, string Device, string Version, DateTimeOffset Since)> AwaitingHealth()
    {
        lock (_lock)
            return _campaigns.Values.SelectMany(c => c.Devices.Where(d => d.State == UpdateState.Confirmed && d.Health == HealthGate.Pending)
                .Select(d => (c.Id, d.Id, c.Release.Version, d.SentAt ?? c.CreatedAt))).ToList();
    }

    /// <summary>The fleet saw the device healthy on the new version (status with it online, a valid record from it).</summary>
    public void Healthy(long campaign, string device)
    {
        lock (_lock)
        {
            if (_campaigns.GetValueOrDefault(campaign)?.Devices.FirstOrDefault(d => d.Id == device) is not { Health: HealthGate.Pending } d) return;
            d.Health = HealthGate.Passed;
            d.UpdatedAt = _clock.GetUtcNow();
            d.Dirty = true;
        }
    }

    /// <summary>
    /// Moves every campaign on to now: timeouts, health deadlines, the halt threshold, stage gates, and the commands
    /// due (first sends within the rate, and re-sends of unacknowledged ones). Saves and returns the commands.
    /// </summary>
    public IReadOnlyList<OtaCommand> Tick()
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            var commands = new List<OtaCommand>();
            foreach (var campaign in _campaigns.Values) Advance(campaign, now, commands);
            SaveChanges();
            return commands;
        }
    }

    private void Advance(Campaign c, DateTimeOffset now, List<OtaCommand> commands)
    {
        var spec = c.Spec;
        foreach (var d in c.Devices)
        {
            // Timeouts and health deadlines keep counting in every status: a device already sent goes on by itself.
            if (UpdateState.InFlight(d.State) && now - (d.HeardAt ?? d.SentAt ?? now) > TimeSpan.FromSeconds(spec.SilentTimeoutSeconds))
                Set(d, UpdateState.TimedOut, $"silent for {spec.SilentTimeoutSeconds:0} s", now);
            if (d.SwitchedAt is { } switched && d.Health is HealthGate.NotYet or HealthGate.Pending && d.State is not (UpdateState.RolledBack or UpdateState.Failed)
                && now - switched > TimeSpan.FromSeconds(spec.HealthTimeoutSeconds))
            {
                d.Health = HealthGate.Failed;
                d.Dirty = true;
                d.UpdatedAt = now;
            }
        }
        if (c.Status != CampaignStatus.Running)
        {
            c.LastTick = now;
            return;
        }
        var stage = c.Devices.Where(d => d.Stage == c.Stage).ToList();
        int failed = stage.Count(d => d.Failed);
        if (stage.Count > 0 && (double)failed / stage.Count > spec.HaltThreshold)
        {
            var reasons = string.Join(", ", stage.Where(d => d.Failed).GroupBy(FailureReason).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}"));
            Finish(c, CampaignStatus.Halted, $"stage {c.Stage + 1}: {failed} of {stage.Count} devices failed ({reasons}), over the {spec.HaltThreshold:P0} threshold");
            return;
        }
        if (stage.All(d => d.Succeeded || d.Failed))
        {
            if (c.Stage + 1 >= spec.StageShares.Count)
            {
                Finish(c, CampaignStatus.Completed, $"{c.Devices.Count(d => d.Succeeded)} updated, {c.Devices.Count(d => d.Failed)} failed");
                return;
            }
            c.Stage++;
            c.Dirty = true;
        }

        double minutes = Math.Max(0, (now - c.LastTick).TotalMinutes);
        c.LastTick = now;
        if (spec.RatePerMinute is { } rate) c.SendCredit = Math.Min(Math.Max(rate, 1), c.SendCredit + rate * minutes);
        foreach (var d in c.Devices.Where(d => d.Stage >= 0 && d.Stage <= c.Stage).OrderBy(d => d.Order))
        {
            bool first = d.State == UpdateState.Queued;
            bool again = d.State == UpdateState.Sent && now - (d.LastSentAt ?? now) >= TimeSpan.FromSeconds(spec.ResendAfterSeconds);
            if (!first && !again) continue;
            if (first && spec.RatePerMinute is not null)
            {
                if (c.SendCredit < 1) continue;
                c.SendCredit--;
            }
            if (first)
            {
                d.State = UpdateState.Sent;
                d.SentAt = now;
            }
            d.LastSentAt = now;
            d.Sends++;
            d.UpdatedAt = now;
            d.Dirty = true;
            commands.Add(new OtaCommand(d.Id, c.Id, Command(c)));
        }
    }

    private static string FailureReason(CampaignDevice d) => d.State switch
    {
        UpdateState.Failed or UpdateState.RolledBack => $"{d.State} {d.Reason}",
        UpdateState.TimedOut => "timed_out",
        _ => "health_timeout",
    };

    /// <summary>The OTA command (Gateway.Core/Ota/README.md): the signed fields verbatim, plus the job id and the bundle URL.</summary>
    private string Command(Campaign c) => new JsonObject
    {
        ["cmd"] = "ota",
        ["id"] = c.JobId,
        ["version"] = c.Release.Version,
        ["url"] = $"{_bundleBaseUrl}/api/releases/{Uri.EscapeDataString(c.Release.Version)}/bundle",
        ["size"] = c.Release.Size,
        ["sha256"] = c.Release.Sha256,
        ["sig"] = c.Release.Sig,
        ["allow_downgrade"] = c.Release.AllowDowngrade,
    }.ToJsonString();

    private static void Set(CampaignDevice d, string state, string? reason, DateTimeOffset now)
    {
        d.State = state;
        d.Reason = reason;
        d.UpdatedAt = now;
        d.Dirty = true;
    }

    private void Finish(Campaign c, string status, string? reason)
    {
        c.Status = status;
        c.StatusReason = reason;
        c.UpdatedAt = _clock.GetUtcNow();
        c.Dirty = true;
    }

    private long NextId()
    {
        using var connection = _database.Open();
        return Math.Max(connection.ExecuteScalar<long?>("SELECT MAX(id) FROM campaigns") ?? 0, _campaigns.Keys.DefaultIfEmpty(0).Max()) + 1;
    }

    // ---- storage: campaigns and campaign_devices (Storage/Migrations.cs) ----

    private static readonly JsonSerializerOptions Json = new();

    /// <summary>Writes every changed campaign and device in one transaction (Tick does; the runner also after each batch of reports).</summary>
    public void Save()
    {
        lock (_lock) SaveChanges();
    }

    private void SaveChanges()
    {
        var campaigns = _campaigns.Values.Where(c => c.Dirty || c.Devices.Any(d => d.Dirty)).ToList();
        if (campaigns.Count == 0) return;
        using var connection = _database.Open();
        using var tx = connection.BeginTransaction();
        foreach (var c in campaigns)
        {
            connection.Execute(
                """
                INSERT INTO campaigns (id, version, spec, status, status_reason, stage, rollback_of, send_credit, created_at, updated_at)
                VALUES (@Id, @version, @spec, @Status, @StatusReason, @Stage, @RollbackOf, @SendCredit, @created, @updated)
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_reason = excluded.status_reason, stage = excluded.stage,
                    send_credit = excluded.send_credit, updated_at = excluded.updated_at
                """,
                new { c.Id, version = c.Release.Version, spec = JsonSerializer.Serialize(c.Spec, Json), c.Status, c.StatusReason, c.Stage, c.RollbackOf, c.SendCredit,
                    created = c.CreatedAt.ToUnixTimeMilliseconds(), updated = c.UpdatedAt.ToUnixTimeMilliseconds() }, tx);
            c.Dirty = false;
            foreach (var d in c.Devices.Where(d => d.Dirty))
            {
                SaveDevice(connection, tx, c.Id, d);
                d.Dirty = false;
            }
        }
        tx.Commit();
    }

    private static void SaveDevice(DbConnection connection, DbTransaction tx, long campaign, CampaignDevice d) =>
        connection.Execute(
            """
            INSERT INTO campaign_devices (campaign, dev, ord, stage, from_version, state, reason, percent, running, health,
                sent_at, last_sent_at, heard_at, switched_at, sends, updated_at)
            VALUES (@campaign, @Id, @Order, @Stage, @From, @State, @Reason, @Percent, @Running, @Health,
                @sent, @lastSent, @heard, @switched, @Sends, @updated)
            ON CONFLICT (campaign, dev) DO UPDATE SET state = excluded.state, reason = excluded.reason, percent = excluded.percent,
                running = excluded.running, health = excluded.health, sent_at = excluded.sent_at, last_sent_at = excluded.last_sent_at,
                heard_at = excluded.heard_at, switched_at = excluded.switched_at, sends = excluded.sends, updated_at = excluded.updated_at
            """,
            new { campaign, d.Id, d.Order, d.Stage, d.From, d.State, d.Reason, d.Percent, d.Running, d.Health,
                sent = d.SentAt?.ToUnixTimeMilliseconds(), lastSent = d.LastSentAt?.ToUnixTimeMilliseconds(), heard = d.HeardAt?.ToUnixTimeMilliseconds(),
                switched = d.SwitchedAt?.ToUnixTimeMilliseconds(), d.Sends, updated = d.UpdatedAt.ToUnixTimeMilliseconds() }, tx);

    private void Load()
    {
        using var connection = _database.Open();
        var releases = connection.Query<(string version, string target, long size, string sha256, long allow_downgrade, string sig, string key, string notes, long uploaded_at)>(
                "SELECT version, target, size, sha256, allow_downgrade, sig, key, notes, uploaded_at FROM releases")
            .ToDictionary(r => r.version, r => new Release(r.version, r.target, r.size, r.sha256, r.allow_downgrade != 0, r.sig, r.key, r.notes,
                DateTimeOffset.FromUnixTimeMilliseconds(r.uploaded_at)));
        var now = _clock.GetUtcNow();
        foreach (var row in connection.Query<(long id, string version, string spec, string status, string? status_reason, long stage, long? rollback_of, double send_credit, long created_at, long updated_at)>(
                     "SELECT id, version, spec, status, status_reason, stage, rollback_of, send_credit, created_at, updated_at FROM campaigns"))
        {
            _campaigns[row.id] = new Campaign
            {
                Id = row.id, Release = releases[row.version], Spec = JsonSerializer.Deserialize<CampaignSpec>(row.spec, Json)!, Status = row.status,
                StatusReason = row.status_reason, Stage = (int)row.stage, RollbackOf = row.rollback_of, SendCredit = row.send_credit,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.created_at), UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.updated_at), LastTick = now,
            };
        }
        static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
        foreach (var r in connection.Query<DeviceRow>("SELECT * FROM campaign_devices ORDER BY campaign, ord"))
        {
            if (!_campaigns.TryGetValue(r.campaign, out var c)) continue;
            c.Devices.Add(new CampaignDevice
            {
                Id = r.dev, Order = (int)r.ord, Stage = (int)r.stage, From = r.from_version, State = r.state, Reason = r.reason, Percent = (int?)r.percent,
                Running = r.running, Health = r.health, SentAt = At(r.sent_at), LastSentAt = At(r.last_sent_at), HeardAt = At(r.heard_at),
                SwitchedAt = At(r.switched_at), Sends = (int)r.sends, UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.updated_at),
            });
        }
    }

    private sealed record DeviceRow(long campaign, string dev, long ord, long stage, string? from_version, string state, string? reason, long? percent,
        string? running, string health, long? sent_at, long? last_sent_at, long? heard_at, long? switched_at, long sends, long updated_at);
}
