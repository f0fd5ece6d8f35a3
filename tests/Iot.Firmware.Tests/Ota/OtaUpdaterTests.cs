using System.Security.Cryptography;
using System.Text.Json;
using Iot.Contract.Signing;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Ota;
using Iot.Gateway.Release;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Xunit.Abstractions;

namespace Iot.Firmware.Tests.Ota;

/// <summary>The device side of an update, through GatewayRuntime: command, download, checks, switch, trial, rollback.</summary>
public class OtaUpdaterTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;
    private const long T0 = 1_795_000_020;
    private const string Dev = "NS-0001";
    private const string Url = "http://releases.example/fw/1.5.0.bin";
    private static readonly byte[] Seed = SHA256.HashData("test release key"u8);
    private static readonly byte[] ReleaseKey = Ed25519Signer.PublicKey(Seed);

    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new() { IsConnected = false };
    private readonly FakeModbusMeter _meter = new() { NoiseLevel = 65.0 };
    private readonly LittleFsModel _journalFiles = new();
    private readonly FakeFlash _configFlash = new(8 * 1024);
    private readonly FakeFlash _bootFlash = new(8 * 1024);
    private readonly FakeFlash _otaFlash = new(8 * 1024);
    private readonly FakeFirmwareSlots _slots = new("1.4.2");
    private readonly FakeFirmwareDownload _server = new();
    private readonly byte[] _image = RandomNumberGenerator.GetBytes(20_000);
    private int _acked;

    private GatewayRuntime Boot() =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, _meter, null),
            JournalFiles = _journalFiles, ConfigFlash = _configFlash, BootFlash = _bootFlash,
            Firmware = _slots, FirmwareDownload = _server, OtaFlash = _otaFlash,
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, Firmware = _slots.RunningVersion, WarmUpSeconds = 0, ReconnectBaseMs = 1000, ReconnectCapMs = 4000,
            Ota = new OtaSettings { ReleaseKey = ReleaseKey, VerifyRoundsPerStep = 1000, ChunksPerStep = 2, RestartGraceMs = 5000 },
        });

    /// <summary>Restarts the device the way the platform does when asked (or after a crash with clean: false).</summary>
    private GatewayRuntime Restart(GatewayRuntime running, bool clean = true)
    {
        if (clean) running.Shutdown();
        _slots.Boot();
        _clock.MonotonicMs = 1000;
        _mqtt.IsConnected = false;
        return Boot();
    }

    private void Run(GatewayRuntime gateway, int seconds)
    {
        for (int i = 0; i < seconds && !gateway.RestartRequested; i++)
        {
            gateway.Tick();
            for (; _acked < _mqtt.Published.Count; _acked++) _mqtt.Acknowledge(_mqtt.Published[_acked].Id);
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
    }

    private string Command(string version = "1.5.0", byte[]? image = null, bool allowDowngrade = false, bool signedDowngrade = false,
        string id = "job-1", string url = Url, byte[]? signingSeed = null)
    {
        image ??= _image;
        var manifest = new ReleaseManifest { Target = "esp32", Version = version, Size = image.Length, AllowDowngrade = signedDowngrade || allowDowngrade };
        SHA256.HashData(image).CopyTo(manifest.Sha256, 0);
        var message = new byte[ReleaseManifest.MaxMessageBytes];
        int length = manifest.WriteSignedMessage(message);
        manifest.AllowDowngrade = allowDowngrade; // what the command claims, signed or not
        byte[] sig = Ed25519Signer.Sign(signingSeed ?? Seed, message.AsSpan(0, length));
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["cmd"] = "ota", ["id"] = id, ["version"] = version, ["url"] = url, ["size"] = image.Length,
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(image)), ["sig"] = Convert.ToHexStringLower(sig), ["allow_downgrade"] = allowDowngrade,
        });
    }

    private void Send(string command) => _mqtt.Deliver($"iot/v1/{Dev}/cmd", command);

    private List<JsonElement> Acks() =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/ack").Select(p => JsonDocument.Parse(p.Payload).RootElement.Clone()).ToList();

    private List<JsonElement> OtaEvents() =>
        _mqtt.Published.Where(p => p.Topic == $"iot/v1/{Dev}/event")
            .Select(p => JsonDocument.Parse(p.Payload).RootElement.Clone())
            .Where(e => e.GetProperty("type").GetString() == "ota")
            .Select(e => e.GetProperty("data").Clone())
            .DistinctBy(d => d.GetRawText()) // at least once: an event may be sent again after a restart
            .ToList();

    private List<string> Phases() => OtaEvents().Select(d => d.GetProperty("phase").GetString()!).ToList();

    private static string Reason(JsonElement data) => data.GetProperty("reason").GetString()!;

    [Fact]
    public void A_signed_release_is_downloaded_verified_installed_and_confirmed_once_healthy()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);
        Assert.Contains($"iot/v1/{Dev}/cmd", _mqtt.Subscriptions);

        Send(Command());
        Run(gateway, 60);

        Assert.True(gateway.RestartRequested);
        var ack = Assert.Single(Acks());
        Assert.True(ack.GetProperty("ok").GetBoolean());
        Assert.Equal("job-1", ack.GetProperty("id").GetString());
        Assert.Equal(_image, _slots.Staged);
        Assert.Equal(["erase", "activate 1.5.0"], _slots.Calls);

        gateway = Restart(gateway);
        Assert.Equal("1.5.0", _slots.RunningVersion);
        Assert.True(_slots.InTrial);
        Run(gateway, 30);
        Assert.True(_slots.InTrial); // connected, but no record delivered yet
        Run(gateway, 60);

        Assert.False(_slots.InTrial);
        Assert.Equal("confirm", _slots.Calls[^1]);
        Assert.Equal(["verified", "installing", "trial", "confirmed"], Phases().SkipWhile(p => p == "downloading"));
        var progress = OtaEvents().Where(d => d.GetProperty("phase").GetString() == "downloading").Select(d => d.GetProperty("percent").GetInt32());
        Assert.Equal([0, 20, 40, 61, 81, 100], progress); // 4 KiB chunks of 20,000 bytes, one event per 10 % step passed
        Assert.All(OtaEvents(), d => Assert.Equal("job-1", d.GetProperty("id").GetString()));
        Assert.Equal("confirmed", gateway.UpdatePhase);

        // The next boot is an ordinary one: nothing more to report.
        int events = OtaEvents().Count;
        gateway = Restart(gateway);
        Run(gateway, 10);
        Assert.Equal(events, OtaEvents().Count);
    }

    /// <summary>
    /// Issue 13, item 5: the update path fits the chosen module's heap. Long-lived: the core's objects of a runtime
    /// with updates on; transient: the most one Tick allocates during a whole update (download, hash, signature,
    /// switch), fakes included, so an upper bound; plus the loader's image.
    /// </summary>
    [Fact]
    public void The_update_path_fits_the_heap_of_the_chosen_module()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 5);
        long longLived = HeapBudget.LongLivedBytes(gateway);

        Send(Command());
        long transient = 0;
        for (int i = 0; i < 120 && !gateway.RestartRequested; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            gateway.Tick();
            transient = Math.Max(transient, GC.GetAllocatedBytesForCurrentThread() - before);
            for (; _acked < _mqtt.Published.Count; _acked++) _mqtt.Acknowledge(_mqtt.Published[_acked].Id);
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
        Assert.True(gateway.RestartRequested, "the update did not finish");
        foreach (var line in HeapBudget.Report(longLived, transient, 64 * 1024)) _output.WriteLine(line);

        Assert.InRange(longLived, 20_000, 80_000); // the runtime's buffers are all there, and they stay small
        Assert.True(longLived + transient + HeapBudget.MaxBundleBytes <= HeapBudget.PsramHeapBytes / 2, "over half the PSRAM heap");
    }

    [Fact]
    public void A_tampered_image_is_refused_and_never_activated()
    {
        var tampered = (byte[])_image.Clone();
        tampered[12_345] ^= 0x20;
        _server.Serve(Url, tampered);
        var gateway = Boot();
        Run(gateway, 2);

        Send(Command());
        Run(gateway, 30);

        Assert.False(gateway.RestartRequested);
        Assert.DoesNotContain(_slots.Calls, c => c.StartsWith("activate"));
        var last = OtaEvents()[^1];
        Assert.Equal("failed", last.GetProperty("phase").GetString());
        Assert.Equal("hash_mismatch", Reason(last));
        Assert.Equal(0, _slots.StagedLength); // the bad image is not kept
    }

    [Fact]
    public void A_short_file_is_a_size_mismatch()
    {
        _server.Serve(Url, _image[..15_000]);
        var gateway = Boot();
        Run(gateway, 2);
        Send(Command());
        Run(gateway, 30);

        Assert.Equal("size_mismatch", Reason(OtaEvents()[^1]));
        Assert.DoesNotContain(_slots.Calls, c => c.StartsWith("activate"));
    }

    [Fact]
    public void A_wrong_signature_is_refused_before_anything_is_downloaded()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);

        Send(Command(signingSeed: SHA256.HashData("someone else's key"u8)));
        Run(gateway, 10);

        Assert.Empty(_server.Requests);
        var last = OtaEvents()[^1];
        Assert.Equal("failed", last.GetProperty("phase").GetString());
        Assert.Equal("bad_signature", Reason(last));
        Assert.DoesNotContain(_slots.Calls, c => c.StartsWith("activate"));
    }

    [Fact]
    public void A_manifest_changed_after_signing_is_refused()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);

        // The fleet (or anyone on the way) swaps in another image and its hash, keeping the release's signature.
        var other = RandomNumberGenerator.GetBytes(_image.Length);
        var command = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Command())!;
        var forged = command.ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        forged["sha256"] = Convert.ToHexStringLower(SHA256.HashData(other));
        _server.Serve(Url, other);
        Send(JsonSerializer.Serialize(forged));
        Run(gateway, 10);

        Assert.Equal("bad_signature", Reason(OtaEvents()[^1]));
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void An_interrupted_download_resumes_where_it_stopped_within_a_run_and_across_a_reboot()
    {
        _server.Serve(Url, _image);
        _server.FailOnceAt = 8192; // the connection drops at the third chunk
        _server.MaxAnswer = 3000;  // and the server answers in pieces that do not match the chunk size
        var gateway = Boot();
        Run(gateway, 2);
        Send(Command());
        Run(gateway, 4); // check the signature, start downloading, hit the failure

        var failed = _server.Requests.Single(r => r.Result < 0);
        Assert.Equal(9000, failed.Position);
        while (!_server.Requests.Any(r => r.Result > 0 && r.Position >= 9000)) Run(gateway, 1); // backoff, then on from the same place
        Assert.Equal(9000, _server.Requests.First(r => r.Result > 0 && r.Position >= 9000).Position);

        // Power cut half way: the next boot continues from what is staged.
        int staged = _slots.StagedLength;
        Assert.InRange(staged, 9001, _image.Length - 1);
        gateway = Restart(gateway, clean: false);
        int before = _server.Requests.Count;
        Run(gateway, 60);

        Assert.Equal(staged, _server.Requests[before].Position);
        Assert.Equal(_image.Length, _server.BytesServed); // every byte fetched exactly once
        Assert.Equal(_image, _slots.Staged);
        Assert.True(gateway.RestartRequested);
        Assert.Equal(["erase", "activate 1.5.0"], _slots.Calls);
    }

    [Fact]
    public void A_downgrade_is_refused_unless_the_signed_manifest_allows_it()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);

        Send(Command(version: "1.4.1", id: "old"));
        Run(gateway, 3);
        var ack = Acks()[^1];
        Assert.False(ack.GetProperty("ok").GetBoolean());
        Assert.Equal("downgrade_refused", ack.GetProperty("error").GetString());
        Assert.Equal("downgrade_refused", Reason(OtaEvents()[^1]));

        // The fleet flips allow_downgrade on a release signed without it: the signature no longer matches.
        var command = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Command(version: "1.4.1", id: "forged"))!
            .ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        command["allow_downgrade"] = true;
        _mqtt.Deliver($"iot/v1/{Dev}/cmd", JsonSerializer.Serialize(command));
        Run(gateway, 5);
        Assert.Equal("bad_signature", Reason(OtaEvents()[^1]));
        Assert.Empty(_server.Requests);

        // A downgrade the release engineer signed as such is installed.
        Send(Command(version: "1.4.1", id: "rollback-release", allowDowngrade: true));
        Run(gateway, 30);
        Assert.True(gateway.RestartRequested);
        Assert.Contains("activate 1.4.1", _slots.Calls);
    }

    [Fact]
    public void A_release_for_another_target_does_not_verify()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);
        // Signed for "virtual"; the device rebuilds the manifest with its own target, esp32.
        var manifest = new ReleaseManifest { Target = "virtual", Version = "1.5.0", Size = _image.Length };
        SHA256.HashData(_image).CopyTo(manifest.Sha256, 0);
        var message = new byte[256];
        int length = manifest.WriteSignedMessage(message);
        var command = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Command())!.ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        command["sig"] = Convert.ToHexStringLower(Ed25519Signer.Sign(Seed, message.AsSpan(0, length)));
        Send(JsonSerializer.Serialize(command));
        Run(gateway, 5);

        Assert.Equal("bad_signature", Reason(OtaEvents()[^1]));
    }

    [Fact]
    public void Malformed_commands_are_answered_and_change_nothing()
    {
        var gateway = Boot();
        Run(gateway, 2);
        Send("""{"cmd":"ota","id":"j","version":"1.5.0","url":"ftp://x","size":10,"sha256":"00","sig":"00"}""");
        Send("not json");
        Run(gateway, 2);

        Assert.All(Acks(), a => Assert.Equal("bad_command", a.GetProperty("error").GetString()));
        Assert.Equal(2, Acks().Count);
        Assert.Empty(_slots.Calls);
    }

    private GatewayRuntime InstallAndRestart()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);
        Send(Command());
        Run(gateway, 60);
        Assert.True(gateway.RestartRequested);
        return Restart(gateway);
    }

    [Fact]
    public void A_version_that_keeps_crashing_is_rolled_back_by_itself_with_the_reason()
    {
        var gateway = InstallAndRestart();
        for (int boot = 1; boot <= 3; boot++)
        {
            Assert.Equal(boot, _slots.TrialBoots);
            Run(gateway, 5); // crashes a few seconds after every start
            Assert.False(gateway.RestartRequested);
            gateway = Restart(gateway, clean: false);
        }

        // Fourth boot on trial: a crash loop. It switches back, reports, and asks for the restart.
        Assert.Contains("revert", _slots.Calls);
        Run(gateway, 10);
        Assert.True(gateway.RestartRequested);
        gateway = Restart(gateway);
        Assert.Equal("1.4.2", _slots.RunningVersion);
        Assert.False(_slots.InTrial);
        Run(gateway, 10);

        var rolledBack = Assert.Single(OtaEvents(), d => d.GetProperty("phase").GetString() == "rolled_back");
        Assert.Equal("crash_loop", Reason(rolledBack));
        Assert.Equal(4, rolledBack.GetProperty("trial_boots").GetInt32());
        Assert.Equal("rolled_back", Phases()[^1]);
        Assert.Equal("rolled_back", gateway.UpdatePhase);
    }

    [Fact]
    public void Records_left_by_the_previous_version_are_sent_under_its_fw_and_do_not_confirm_the_trial()
    {
        _server.Serve(Url, _image);
        _mqtt.BrokerReachable = false;
        var gateway = Boot();
        Run(gateway, 3 * 60 + 5); // offline: 1.4.2 journals three valid minutes
        Assert.Equal(3, gateway.Buffered);
        uint boundary = gateway.NextSeq;

        // Online, the command arrives and the update installs; the broker never acknowledges the telemetry,
        // so 1.4.2's records are still in the journal when 1.5.0 starts.
        _mqtt.BrokerReachable = true;
        Send(Command());
        for (int i = 0; i < 120 && !gateway.RestartRequested; i++)
        {
            gateway.Tick();
            for (; _acked < _mqtt.Published.Count; _acked++)
            {
                if (!FakeMqttLink.CarriesRecords(_mqtt.Published[_acked].Topic)) _mqtt.Acknowledge(_mqtt.Published[_acked].Id);
            }
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
        Assert.True(gateway.RestartRequested);
        Assert.Equal(3, gateway.Buffered);

        gateway = Restart(gateway);
        Assert.Equal("1.5.0", _slots.RunningVersion);
        Assert.True(_slots.InTrial);
        Assert.Equal(boundary, gateway.FirmwareBoundarySeq);
        Assert.Equal("1.4.2", gateway.PreviousFirmware);
        _meter.Silent = true; // the new version's own records are never valid evidence
        int sentBefore = _mqtt.Published.Count;
        Run(gateway, 180);

        // The old valid records were delivered, labelled with the version that measured them, but the trial goes on.
        Assert.True(gateway.RecordsDelivered >= 3);
        Assert.True(_slots.InTrial);
        Assert.DoesNotContain("confirm", _slots.Calls);
        var envelopes = _mqtt.Published.Skip(sentBefore).Where(p => FakeMqttLink.CarriesRecords(p.Topic))
            .Select(p => JsonDocument.Parse(p.Payload).RootElement).ToList();
        Assert.All(envelopes, e =>
        {
            var seqs = e.GetProperty("recs").EnumerateArray().Select(r => r.GetProperty("seq").GetUInt32()).ToList();
            string expected = seqs[0] < boundary ? "1.4.2" : "1.5.0";
            Assert.All(seqs, q => Assert.Equal(expected == "1.4.2", q < boundary)); // never mixed
            Assert.Equal(expected, e.GetProperty("fw").GetString());
        });
        Assert.Equal([1u, 2u, 3u], envelopes.Where(e => e.GetProperty("fw").GetString() == "1.4.2")
            .SelectMany(e => e.GetProperty("recs").EnumerateArray().Select(r => r.GetProperty("seq").GetUInt32())).Distinct());
        Assert.Contains(envelopes, e => e.GetProperty("fw").GetString() == "1.5.0");

        // Once the new version delivers a valid record of its own, it confirms.
        _meter.Silent = false;
        for (int i = 0; i < 200 && _slots.InTrial; i++) Run(gateway, 1);
        Assert.False(_slots.InTrial);
        Assert.Equal("confirm", _slots.Calls[^1]);
    }

    [Fact]
    public void A_version_without_sensor_data_is_rolled_back_at_the_deadline()
    {
        var gateway = InstallAndRestart();
        long bootMs = _clock.MonotonicMs;
        _meter.Silent = true; // the new version cannot read the meter: every record carries the sensor-fault bit
        // (the meter's timeouts also pass monotonic time, so count milliseconds, not ticks)
        for (int i = 0; i < 1000 && !gateway.RestartRequested; i++) Run(gateway, 1);

        Assert.True(gateway.RestartRequested);
        Assert.InRange(_clock.MonotonicMs - bootMs, 600_000, 610_000);
        Assert.Equal("revert", _slots.Calls[^1]);
        var last = OtaEvents()[^1];
        Assert.Equal("rolled_back", last.GetProperty("phase").GetString());
        Assert.Equal("no_sensor_data", Reason(last));
        Assert.True(gateway.RecordsDelivered > 0); // records were delivered, none of them valid
    }

    [Fact]
    public void A_version_that_never_connects_is_rolled_back_and_the_old_one_reports_why()
    {
        var gateway = InstallAndRestart();
        _mqtt.BrokerReachable = false;
        Run(gateway, 600);
        Assert.False(gateway.RestartRequested); // waits for the report a little...
        Run(gateway, 10);
        Assert.True(gateway.RestartRequested); // ...but not forever

        _mqtt.BrokerReachable = true;
        gateway = Restart(gateway);
        Assert.Equal("1.4.2", _slots.RunningVersion);
        Run(gateway, 10);

        var last = OtaEvents()[^1];
        Assert.Equal("rolled_back", last.GetProperty("phase").GetString());
        Assert.Equal("no_connection", Reason(last));
        Assert.Equal("1.4.2", last.GetProperty("running").GetString());
    }

    [Fact]
    public void The_same_command_again_does_not_restart_the_job_and_a_busy_trial_refuses_others()
    {
        _server.Serve(Url, _image);
        var gateway = Boot();
        Run(gateway, 2);
        Send(Command());
        Send(Command());
        Run(gateway, 60);
        Assert.Equal(1, _slots.Calls.Count(c => c == "erase"));
        Assert.All(Acks(), a => Assert.True(a.GetProperty("ok").GetBoolean()));

        gateway = Restart(gateway);
        Run(gateway, 3);
        Send(Command(version: "1.6.0", id: "job-2"));
        Run(gateway, 1);
        Assert.Equal("busy", Acks()[^1].GetProperty("error").GetString());
    }

    [Fact]
    public void Without_a_release_key_updates_are_off_and_nothing_changes()
    {
        var gateway = new GatewayRuntime(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, _meter, null),
            JournalFiles = _journalFiles, ConfigFlash = _configFlash, BootFlash = _bootFlash,
            Firmware = _slots, FirmwareDownload = _server, OtaFlash = _otaFlash,
        }, new GatewayRuntimeOptions { DeviceId = Dev, WarmUpSeconds = 0 });
        Run(gateway, 2);
        Send(Command());
        Run(gateway, 5);

        Assert.DoesNotContain($"iot/v1/{Dev}/cmd", _mqtt.Subscriptions);
        Assert.Empty(Acks());
        Assert.Empty(_slots.Calls);
        Assert.Null(gateway.UpdatePhase);
    }
}
