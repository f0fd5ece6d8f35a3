using Dapper;
using Iot.Fleet.Api;
using Iot.Fleet.Storage;
using Iot.Fleet.Telemetry;
using Iot.Fleet.Tests.Rules;
using Iot.Fleet.Updates;
using Xunit;

namespace Iot.Fleet.Tests.Updates;

/// <summary>The campaign state machine on a real (temporary) fleet database with a hand-driven clock.</summary>
public sealed class RolloutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iot-rollout-").FullName;
    private readonly FleetDatabase _database;
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
    private readonly Release _release = Release("1.1.0");

    public RolloutTests()
    {
        _database = new FleetDatabase(Iot.Testing.TestDatabase.For(_dir));
        _database.Migrate();
        using var connection = _database.Open();
        foreach (var r in new[] { _release, Release("1.0.0"), Release("1.0.0+down", allowDowngrade: true) })
            connection.Execute("INSERT INTO releases VALUES (@Version, @Target, @Size, @Sha256, @allow, @Sig, @Key, @Notes, 0)",
                new { r.Version, r.Target, r.Size, r.Sha256, allow = r.AllowDowngrade ? 1 : 0, r.Sig, r.Key, r.Notes });
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Release Release(string version, bool allowDowngrade = false) =>
        new(version, "virtual", 100, new string('a', 64), allowDowngrade, new string('b', 128), new string('c', 64), "", DateTimeOffset.UnixEpoch);

    private static List<FleetDevice> Devices(int count, string firmware = "1.0.0", string prefix = "GW") =>
        Enumerable.Range(1, count).Select(i => new FleetDevice($"{prefix}-{i:D4}", i % 2 == 0 ? "noise" : "dust", $"G-{i % 3}", firmware)).ToList();

    private Rollout NewRollout() => new(_database, _clock);

    private void Advance(double seconds) => _clock.Now = _clock.Now.AddSeconds(seconds);

    private static void Succeed(Rollout rollout, Campaign c, IEnumerable<OtaCommand> commands)
    {
        foreach (var command in commands)
        {
            rollout.Apply(new OtaReport(command.Device, c.JobId, "checking", IsAck: true));
            rollout.Apply(new OtaReport(command.Device, c.JobId, "installing", Running: "1.0.0"));
            rollout.Apply(new OtaReport(command.Device, c.JobId, "confirmed", Running: "1.1.0"));
            rollout.Healthy(c.Id, command.Device);
        }
    }

    [Fact]
    public void A_good_release_goes_out_stage_by_stage_and_each_stage_waits_for_its_gate()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", Stages: [1, 10, 50, 100]), _release, Devices(200));

        var stage1 = rollout.Tick();
        Assert.Equal(2, stage1.Count);
        Assert.Contains("\"id\":\"campaign-1\"", stage1[0].Payload);
        Assert.Contains("\"sig\":\"" + new string('b', 128), stage1[0].Payload);
        Assert.Empty(rollout.Tick()); // the gate: nothing more until stage 1 is through

        // Confirmed by the device is not enough: the fleet waits to see it healthy.
        rollout.Apply(new OtaReport(stage1[0].Device, c.JobId, "confirmed"));
        rollout.Apply(new OtaReport(stage1[1].Device, c.JobId, "confirmed"));
        Assert.Empty(rollout.Tick());
        rollout.Healthy(c.Id, stage1[0].Device);
        rollout.Healthy(c.Id, stage1[1].Device);
        var stage2 = rollout.Tick();
        Assert.Equal(18, stage2.Count);
        Succeed(rollout, c, stage2);
        var stage3 = rollout.Tick();
        Assert.Equal(80, stage3.Count);
        Succeed(rollout, c, stage3);
        var stage4 = rollout.Tick();
        Assert.Equal(100, stage4.Count);
        Succeed(rollout, c, stage4);
        rollout.Tick();

        Assert.Equal(CampaignStatus.Completed, c.Status);
        Assert.All(c.Devices, d => Assert.True(d.Succeeded));
        Assert.Equal(200, stage1.Concat(stage2).Concat(stage3).Concat(stage4).Select(x => x.Device).Distinct().Count());
    }

    [Fact]
    public void A_stage_whose_failure_share_passes_the_threshold_halts_the_campaign_with_the_reasons()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", Stages: [10, 100], HaltThreshold: 0.2), _release, Devices(100));
        var sent = rollout.Tick();
        Assert.Equal(10, sent.Count);
        for (var i = 0; i < 2; i++) rollout.Apply(new OtaReport(sent[i].Device, c.JobId, "rolled_back", "crash_loop", Running: "1.0.0"));
        Assert.Empty(rollout.Tick());
        Assert.Equal(CampaignStatus.Running, c.Status); // 2 of 10 is not over 20 %
        rollout.Apply(new OtaReport(sent[2].Device, c.JobId, "rolled_back", "crash_loop"));
        Assert.Empty(rollout.Tick());
        Assert.Equal(CampaignStatus.Halted, c.Status);
        Assert.Contains("3 rolled_back crash_loop", c.StatusReason);
        // Devices already on their way still report, and are recorded as they said.
        rollout.Apply(new OtaReport(sent[3].Device, c.JobId, "rolled_back", "crash_loop"));
        Assert.Empty(rollout.Tick());
        Assert.Equal(4, c.Devices.Count(d => d.State == UpdateState.RolledBack && d.Reason == "crash_loop"));
        Assert.Equal(90, c.Devices.Count(d => d.State == UpdateState.Queued));
    }

    [Fact]
    public void A_silent_device_times_out_and_a_later_word_from_it_is_believed()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", SilentTimeoutSeconds: 60, ResendAfterSeconds: 20), _release, Devices(3));
        Assert.Equal(3, rollout.Tick().Count);
        Advance(25);
        rollout.Apply(new OtaReport("GW-0001", c.JobId, "downloading", Percent: 40));
        var resent = rollout.Tick();
        Assert.Equal(["GW-0002", "GW-0003"], resent.Select(x => x.Device).Order()); // not acknowledged: sent again
        Advance(40);
        rollout.Tick();
        Assert.Equal(UpdateState.TimedOut, c.Devices.Single(d => d.Id == "GW-0002").State);
        Assert.Equal(UpdateState.Downloading, c.Devices.Single(d => d.Id == "GW-0001").State);
        Assert.Equal(40, c.Devices.Single(d => d.Id == "GW-0001").Percent);
        Advance(30);
        rollout.Tick();
        Assert.All(c.Devices, d => Assert.Equal(UpdateState.TimedOut, d.State)); // 65 s since its last word
        rollout.Apply(new OtaReport("GW-0003", c.JobId, "failed", "hash_mismatch"));
        Assert.Equal((UpdateState.Failed, "hash_mismatch"), (c.Devices.Single(d => d.Id == "GW-0003").State, c.Devices.Single(d => d.Id == "GW-0003").Reason));
    }

    [Fact]
    public void A_device_that_confirms_but_is_not_seen_healthy_in_time_fails_the_health_gate()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", HealthTimeoutSeconds: 120, HaltThreshold: 0.5), _release, Devices(2));
        rollout.Tick();
        rollout.Apply(new OtaReport("GW-0001", c.JobId, "installing"));
        rollout.Apply(new OtaReport("GW-0001", c.JobId, "confirmed"));
        rollout.Apply(new OtaReport("GW-0002", c.JobId, "installing"));
        rollout.Apply(new OtaReport("GW-0002", c.JobId, "confirmed"));
        rollout.Healthy(c.Id, "GW-0002");
        Assert.Equal([(c.Id, "GW-0001", "1.1.0")], rollout.AwaitingHealth().Select(h => (h.Campaign, h.Device, h.Version)));
        Advance(121);
        rollout.Tick();
        var d1 = c.Devices.Single(d => d.Id == "GW-0001");
        Assert.Equal((UpdateState.Confirmed, HealthGate.Failed), (d1.State, d1.Health)); // the device's word stays; the verdict is the fleet's
        Assert.Equal(CampaignStatus.Completed, c.Status);
        Assert.Equal(1, CampaignView.Of(c, false).Progress[0].Failed);
    }

    [Fact]
    public void Pause_stops_new_commands_resume_continues_and_abort_ends_it()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", RatePerMinute: 2, ResendAfterSeconds: 3600), _release, Devices(10));
        Assert.Single(rollout.Tick());
        Advance(60);
        Assert.Equal(2, rollout.Tick().Count);
        rollout.Pause(c.Id);
        Advance(60);
        Assert.Empty(rollout.Tick());
        Assert.Throws<RefusalException>(() => rollout.Pause(c.Id));
        rollout.Resume(c.Id);
        Advance(30);
        Assert.Single(rollout.Tick());
        rollout.Abort(c.Id);
        Advance(600);
        Assert.Empty(rollout.Tick());
        Assert.Equal(CampaignStatus.Aborted, c.Status);
        Assert.Throws<RefusalException>(() => rollout.Resume(c.Id));
    }

    [Fact]
    public void A_device_in_an_active_campaign_is_skipped_with_the_reason()
    {
        var rollout = NewRollout();
        var first = rollout.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(Devices: ["GW-0001", "GW-0002"])), _release, Devices(4));
        var second = rollout.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(SiteKind: "noise")), _release, Devices(4));
        Assert.Equal(UpdateState.Skipped, second.Devices.Single(d => d.Id == "GW-0002").State);
        Assert.Equal($"in active campaign {first.Id}", second.Devices.Single(d => d.Id == "GW-0002").Reason);
        Assert.Equal(UpdateState.Queued, second.Devices.Single(d => d.Id == "GW-0004").State);
        var refused = Assert.Throws<RefusalException>(() =>
            rollout.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(Devices: ["GW-0001"])), _release, Devices(4)));
        Assert.Equal(409, refused.Status);
        rollout.Abort(first.Id);
        Assert.Equal(UpdateState.Queued, rollout.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(Devices: ["GW-0001"])), _release, Devices(4)).Devices.Single().State);
    }

    [Fact]
    public void A_downgrade_is_refused_unless_both_the_campaign_and_the_signed_release_allow_it()
    {
        var rollout = NewRollout();
        var newer = Devices(3, firmware: "1.1.0");
        var refused = Assert.Throws<RefusalException>(() => rollout.Create(new CampaignSpec("1.0.0"), Release("1.0.0"), newer));
        Assert.Contains("downgrade refused", refused.Message);
        refused = Assert.Throws<RefusalException>(() => rollout.Create(new CampaignSpec("1.0.0", AllowDowngrade: true), Release("1.0.0"), newer));
        Assert.Contains("not signed with allow_downgrade", refused.Message);
        var c = rollout.Create(new CampaignSpec("1.0.0+down", AllowDowngrade: true), Release("1.0.0+down", allowDowngrade: true), newer);
        Assert.Contains("\"allow_downgrade\":true", rollout.Tick()[0].Payload);
        Assert.Equal(3, c.Devices.Count(d => d.State == UpdateState.Sent));
    }

    [Fact]
    public void Target_filters_combine_and_a_device_already_on_the_version_is_skipped()
    {
        var rollout = NewRollout();
        var fleet = Devices(12);
        fleet[1] = fleet[1] with { Firmware = "1.1.0" };
        var c = rollout.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(SiteKind: "NOISE", Grid: "G-2", Firmware: null)), _release, fleet);
        Assert.Equal(["GW-0002", "GW-0008"], c.Devices.Select(d => d.Id));
        Assert.Equal((UpdateState.Skipped, "already_running"), (c.Devices[0].State, c.Devices[0].Reason));
        Assert.Throws<RefusalException>(() => rollout.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(Devices: ["NOPE-1"])), _release, fleet));
        Assert.Throws<RefusalException>(() => rollout.Create(new CampaignSpec("1.1.0", Stages: [50, 40]), _release, fleet));
    }

    [Fact]
    public void A_refused_ack_fails_the_device_and_a_restarted_fleet_carries_on_from_the_database()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", Stages: [50, 100], HaltThreshold: 0.6), _release, Devices(4));
        var sent = rollout.Tick();
        rollout.Apply(new OtaReport(sent[0].Device, c.JobId, null, "downgrade_refused", IsAck: true, Ok: false));
        rollout.Apply(new OtaReport(sent[1].Device, c.JobId, "downloading", Percent: 30));
        Assert.False(rollout.Apply(new OtaReport(sent[1].Device, "local", "trial"))); // not our job
        rollout.Save();

        var restarted = NewRollout();
        var again = restarted.Find(c.Id)!;
        Assert.Equal((UpdateState.Failed, "downgrade_refused"), (again.Devices[0].State, again.Devices[0].Reason));
        Assert.Equal((UpdateState.Downloading, 30), (again.Devices[1].State, again.Devices[1].Percent));
        Assert.Empty(restarted.Tick());
        restarted.Apply(new OtaReport(sent[1].Device, c.JobId, "confirmed"));
        restarted.Healthy(c.Id, sent[1].Device);
        Assert.Equal(2, restarted.Tick().Count);
        // Still active after the restart: its devices are not offered to another campaign.
        Assert.Equal(409, Assert.Throws<RefusalException>(() =>
            restarted.Create(new CampaignSpec("1.1.0", Target: new CampaignTarget(Devices: ["GW-0001", "GW-0004"])), _release, Devices(4))).Status);
    }

    [Fact]
    public void Rollback_targets_the_devices_the_campaign_updated_and_needs_a_downgrade_release()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0"), _release, Devices(3));
        var sent = rollout.Tick();
        rollout.Apply(new OtaReport(sent[0].Device, c.JobId, "confirmed", Running: "1.1.0"));
        rollout.Apply(new OtaReport(sent[1].Device, c.JobId, "failed", "hash_mismatch"));
        Assert.Equal("1.0.0", rollout.PreviousVersion(c.Id));
        var fleetAfter = Devices(3).Select(d => d.Id == sent[0].Device ? d with { Firmware = "1.1.0" } : d).ToList();
        Assert.Throws<RefusalException>(() => rollout.Create(new CampaignSpec("1.0.0", AllowDowngrade: true), Release("1.0.0"), fleetAfter));
        using (var connection = _database.Open())
        {
            foreach (var d in fleetAfter) connection.Execute("INSERT INTO devices (id, created_at) VALUES (@Id, 0)", d);
            connection.Execute("INSERT INTO device_state (dev, firmware) VALUES (@dev, '1.1.0')", new { dev = sent[0].Device });
        }
        var back = rollout.Rollback(c.Id, Release("1.0.0+down", allowDowngrade: true), null);
        Assert.Equal(CampaignStatus.Aborted, c.Status);
        Assert.Equal(c.Id, back.RollbackOf);
        Assert.Equal([sent[0].Device], back.Devices.Select(d => d.Id));
    }

    [Fact]
    public void A_report_about_another_release_or_a_confirmed_on_another_version_is_not_this_jobs()
    {
        var rollout = NewRollout();
        var c = rollout.Create(new CampaignSpec("1.1.0", HaltThreshold: 1), _release, Devices(3));
        var sent = rollout.Tick();
        // The job id of this campaign, but about another release: a job the device kept from a campaign of the same id
        // in an earlier fleet database, re-sent after a reboot. It says nothing about this job.
        Assert.False(rollout.Apply(new OtaReport(sent[0].Device, c.JobId, "confirmed", Running: "1.0.0+down", Version: "1.0.0+down")));
        Assert.False(rollout.Apply(new OtaReport(sent[0].Device, c.JobId, "rolled_back", "crash_loop", Running: "1.0.0", Version: "1.0.0+down")));
        // "Confirmed" from a device that says it runs another version than the campaign's is not a success of it.
        Assert.False(rollout.Apply(new OtaReport(sent[1].Device, c.JobId, "confirmed", Running: "1.0.0", Version: "1.1.0")));
        Assert.All(c.Devices, d => Assert.Equal((UpdateState.Sent, null), (d.State, d.Running)));
        Assert.Empty(rollout.AwaitingHealth());

        // What they say about this job and its release is recorded as they said it.
        Assert.True(rollout.Apply(new OtaReport(sent[0].Device, c.JobId, "trial", Running: "1.1.0", Version: "1.1.0")));
        Assert.True(rollout.Apply(new OtaReport(sent[0].Device, c.JobId, "confirmed", Running: "1.1.0", Version: "1.1.0")));
        Assert.True(rollout.Apply(new OtaReport(sent[1].Device, c.JobId, "rolled_back", "crash_loop", Running: "1.0.0", Version: "1.1.0")));
        Assert.True(rollout.Apply(new OtaReport(sent[2].Device, c.JobId, "confirmed", IsAck: true))); // an ack carries no version
        Assert.Equal([UpdateState.Confirmed, UpdateState.RolledBack, UpdateState.Confirmed], c.Devices.Select(d => d.State));
        Assert.Equal([(c.Id, sent[0].Device, "1.1.0"), (c.Id, sent[2].Device, "1.1.0")], rollout.AwaitingHealth().Select(h => (h.Campaign, h.Device, h.Version)));
    }

    [Fact]
    public void Device_acks_and_ota_events_are_read_as_the_firmware_writes_them()
    {
        var ack = CampaignRunner.ParseReport("NS-0001", "ack", """{"v":1,"dev":"NS-0001","cmd":"ota","id":"campaign-7","ok":false,"error":"busy"}"""u8);
        Assert.Equal(new OtaReport("NS-0001", "campaign-7", null, "busy", IsAck: true, Ok: false), ack);
        var e = CampaignRunner.ParseReport("NS-0001", "event",
            """{"v":1,"dev":"NS-0001","t":1795000020,"type":"ota","data":{"id":"campaign-7","phase":"downloading","version":"1.5.0","from":"1.4.0","percent":30,"bytes":3,"size":10,"running":"1.4.0"}}"""u8);
        Assert.Equal(new OtaReport("NS-0001", "campaign-7", "downloading", null, 30, "1.4.0", Version: "1.5.0"), e);
        Assert.Null(CampaignRunner.ParseReport("NS-0001", "event", """{"v":1,"dev":"NS-0002","t":1,"type":"ota","data":{"id":"campaign-7","phase":"trial"}}"""u8));
        Assert.Null(CampaignRunner.ParseReport("NS-0001", "event", """{"v":1,"dev":"NS-0001","t":1,"type":"tamper","data":{}}"""u8));
        Assert.Null(CampaignRunner.ParseReport("NS-0001", "ack", "not json"u8));
    }
}
