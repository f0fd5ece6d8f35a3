using System.Text.Json;
using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Journal;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Uplink;

namespace Iot.Firmware.Tests;

/// <summary>
/// Records left in the journal by one firmware version and sent by the next: each envelope names the version that
/// measured its records (the boundary kept in the boot log), and such records are not the new version's evidence.
/// </summary>
public class FirmwareBoundaryTests
{
    private const long T0 = 1_795_000_020;
    private const string Dev = "NS-0001";
    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new() { IsConnected = false, BrokerReachable = false };
    private readonly FakeModbusMeter _meter = new() { NoiseLevel = 65.0 };
    private readonly LittleFsModel _journalFiles = new();
    private readonly FakeFlash _configFlash = new(8 * 1024);
    private readonly FakeFlash _bootFlash = new(8 * 1024);
    private int _acked;

    private GatewayRuntime Boot(string firmware) =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, _meter, null),
            JournalFiles = _journalFiles, ConfigFlash = _configFlash, BootFlash = _bootFlash,
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, Firmware = firmware, WarmUpSeconds = 0, ReconnectBaseMs = 1000, ReconnectCapMs = 4000, UplinkBatch = 4,
        });

    private GatewayRuntime Restart(GatewayRuntime running, string firmware)
    {
        running.Shutdown();
        _clock.MonotonicMs = 1000;
        _mqtt.IsConnected = false;
        return Boot(firmware);
    }

    private void Run(GatewayRuntime gateway, int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            gateway.Tick();
            for (; _acked < _mqtt.Published.Count; _acked++) _mqtt.Acknowledge(_mqtt.Published[_acked].Id);
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
    }

    private List<(string? Fw, uint[] Seqs)> Envelopes() =>
        _mqtt.Envelopes(Dev).Select(p =>
        {
            var root = JsonDocument.Parse(p.Payload).RootElement;
            string? fw = root.TryGetProperty("fw", out var f) ? f.GetString() : null;
            return (fw, root.GetProperty("recs").EnumerateArray().Select(r => r.GetProperty("seq").GetUInt32()).ToArray());
        }).ToList();

    [Fact]
    public void Records_of_the_previous_version_go_out_under_its_fw_never_mixed_with_the_new_ones()
    {
        var gateway = Boot("1.0.0");
        Run(gateway, 5 * 60 + 5); // offline: five minutes journaled by 1.0.0
        Assert.Equal(0u, gateway.FirmwareBoundarySeq);
        uint boundary = gateway.NextSeq;
        Assert.Equal(5, gateway.Buffered);

        gateway = Restart(gateway, "1.1.0");
        Assert.Equal(boundary, gateway.FirmwareBoundarySeq);
        Assert.Equal("1.0.0", gateway.PreviousFirmware);
        Run(gateway, 3 * 60 + 5); // still offline: three minutes by 1.1.0

        // Another reboot of the same version keeps the boundary.
        gateway = Restart(gateway, "1.1.0");
        Assert.Equal(boundary, gateway.FirmwareBoundarySeq);
        Assert.Equal("1.0.0", gateway.PreviousFirmware);
        Assert.Equal(8, gateway.Buffered);

        _mqtt.BrokerReachable = true;
        Run(gateway, 30);
        Assert.Equal(0, gateway.Buffered);

        var envelopes = Envelopes();
        Assert.All(envelopes, e => Assert.True(e.Seqs.All(s => s < boundary) || e.Seqs.All(s => s >= boundary), "mixed envelope"));
        Assert.All(envelopes, e => Assert.Equal(e.Seqs[0] < boundary ? "1.0.0" : "1.1.0", e.Fw));
        var old = envelopes.Where(e => e.Fw == "1.0.0").SelectMany(e => e.Seqs).ToArray();
        var @new = envelopes.Where(e => e.Fw == "1.1.0").SelectMany(e => e.Seqs).ToArray();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (uint)i), old);
        Assert.Equal(Enumerable.Range((int)boundary, 3).Select(i => (uint)i), @new);
        // Batches of 4: 1..4, then 5 alone (not 5 with 6..8), then 6..8.
        Assert.Equal([[1u, 2u, 3u, 4u], [5u], [6u, 7u, 8u]], envelopes.Select(e => e.Seqs).ToArray());

        // The next version change moves the boundary; the same version booting first time ever has none.
        gateway = Restart(gateway, "1.2.0");
        Assert.Equal(9u, gateway.FirmwareBoundarySeq);
        Assert.Equal("1.1.0", gateway.PreviousFirmware);
    }

    [Fact]
    public void The_uplink_counts_only_records_at_or_after_the_boundary_as_evidence()
    {
        var journal = new RecordJournal(new LittleFsModel());
        journal.Open();
        var mqtt = new FakeMqttLink();
        for (int m = 0; m < 6; m++)
        {
            var r = new MinuteRecord { T = T0 + 60L * m };
            r.Set(Channel.Laeq, 60 + m);
            journal.Append(r);
        }
        var uplink = new TelemetryUplink(mqtt, journal, new FakeClock { UtcSeconds = T0 + 600 }, new DeviceTopics(Dev), Dev, "1.1.0", 3, 10,
            new byte[4096], ackTimeoutMs: 30_000);
        uplink.SetFirmwareBoundary(5, "1.0.0");

        Assert.Equal(4, uplink.Step());
        mqtt.Acknowledge(mqtt.Published[0].Id);
        Assert.Equal(2, uplink.Step());
        Assert.Equal(4, uplink.Delivered);
        Assert.Equal(0, uplink.EvidenceDelivered); // valid records, but measured by 1.0.0
        mqtt.Acknowledge(mqtt.Published[1].Id);
        uplink.Step();
        Assert.Equal(6, uplink.Delivered);
        Assert.Equal(2, uplink.EvidenceDelivered);
        Assert.Contains("\"fw\":\"1.0.0\"", mqtt.Published[0].Payload);
        Assert.Contains("\"fw\":\"1.1.0\"", mqtt.Published[1].Payload);
    }

    [Fact]
    public void An_unknown_previous_version_is_left_out_rather_than_misstated()
    {
        var journal = new RecordJournal(new LittleFsModel());
        journal.Open();
        var mqtt = new FakeMqttLink();
        journal.Append(new MinuteRecord { T = T0 });
        journal.Append(new MinuteRecord { T = T0 + 60 });
        var uplink = new TelemetryUplink(mqtt, journal, new FakeClock { UtcSeconds = T0 + 600 }, new DeviceTopics(Dev), Dev, "1.1.0", 3, 10,
            new byte[4096], ackTimeoutMs: 30_000);
        uplink.SetFirmwareBoundary(2, null);

        uplink.Step();
        Assert.DoesNotContain("\"fw\"", mqtt.Published[0].Payload);
        mqtt.Acknowledge(mqtt.Published[0].Id);
        uplink.Step();
        Assert.Contains("\"fw\":\"1.1.0\"", mqtt.Published[1].Payload);
    }

    [Fact]
    public void A_boot_log_of_the_old_format_keeps_the_boot_count_and_sets_the_boundary()
    {
        // Two boots recorded by earlier firmware as 16-byte "IBL1" slots; the second ended without a clean shutdown.
        WriteLegacySlot(0, 1, clean: true);
        WriteLegacySlot(16, 2, clean: false);

        var log = new BootLog(_bootFlash);
        log.Open("1.1.0", 42, "1.0.0");
        Assert.Equal(3u, log.Boot);
        Assert.False(log.PreviousRunClean);
        Assert.Equal(42u, log.FirmwareBoundarySeq);
        Assert.Equal("1.0.0", log.PreviousFirmware);
        log.MarkCleanShutdown();

        log = new BootLog(_bootFlash);
        log.Open("1.1.0", 50, "1.0.0");
        Assert.Equal(4u, log.Boot);
        Assert.True(log.PreviousRunClean);
        Assert.Equal(42u, log.FirmwareBoundarySeq);
        Assert.Equal("1.0.0", log.PreviousFirmware);
    }

    [Fact]
    public void The_boot_log_survives_torn_writes_and_sector_changes()
    {
        var log = new BootLog(_bootFlash);
        log.Open("1.0.0", 1, null);
        Assert.Equal(1u, log.Boot);
        Assert.Equal(0u, log.FirmwareBoundarySeq);
        log.MarkCleanShutdown();

        // Power lost in the middle of the next boot's entry: that boot counts as never recorded.
        _bootFlash.WriteBudget = 40;
        Assert.Throws<PowerLossException>(() => new BootLog(_bootFlash).Open("1.1.0", 10, null));
        _bootFlash.WriteBudget = null;

        uint boundary = 0;
        for (int boot = 2; boot <= 80; boot++) // 32 entries per 4 KiB sector: wraps around both sectors
        {
            log = new BootLog(_bootFlash);
            log.Open(boot < 5 ? "1.0.0" : "1.1.0", (uint)(10 * boot), null);
            if (boot == 5) boundary = 50;
            Assert.Equal((uint)boot, log.Boot);
            Assert.Equal(boot != 3, log.PreviousRunClean); // boot 2 ends without MarkCleanShutdown
            Assert.Equal(boundary, log.FirmwareBoundarySeq);
            Assert.Equal(boot >= 5 ? "1.0.0" : null, log.PreviousFirmware);
            if (boot != 2) log.MarkCleanShutdown();
        }
    }

    private void WriteLegacySlot(int address, uint boot, bool clean)
    {
        var slot = new byte[16];
        BitConverter.GetBytes(0x314C4249u).CopyTo(slot, 0); // "IBL1"
        BitConverter.GetBytes(boot).CopyTo(slot, 4);
        BitConverter.GetBytes(Crc32.Compute(slot, 0, 8)).CopyTo(slot, 8);
        BitConverter.GetBytes(clean ? 0u : 0xFFFFFFFFu).CopyTo(slot, 12);
        _bootFlash.Write(address, slot, 0, 16);
    }
}
