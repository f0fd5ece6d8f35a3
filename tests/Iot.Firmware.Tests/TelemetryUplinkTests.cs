using System.Text.Json;
using Iot.Contract;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Journal;
using Iot.Gateway.Telemetry;
using Iot.Gateway.Uplink;

namespace Iot.Firmware.Tests;

public class TelemetryUplinkTests
{
    private const long T0 = 1_795_000_020;
    private readonly FakeClock _clock = new() { UtcSeconds = T0 + 600 };
    private readonly FakeMqttLink _mqtt = new();
    private readonly LittleFsModel _flash = new();
    private readonly RecordJournal _journal;

    public TelemetryUplinkTests()
    {
        _journal = new RecordJournal(_flash);
        _journal.Open();
    }

    private TelemetryUplink Uplink(int batch = 4) =>
        new(_mqtt, _journal, _clock, new DeviceTopics("NS-0001"), "NS-0001", "1.4.2", 17, batch, new byte[4096], ackTimeoutMs: 30_000);

    private void Record(int minute)
    {
        var r = new MinuteRecord { T = T0 + 60L * minute };
        r.Set(Channel.Laeq, 60 + minute);
        _journal.Append(r);
    }

    private static uint[] Seqs(string payload) =>
        JsonDocument.Parse(payload).RootElement.GetProperty("recs").EnumerateArray().Select(r => r.GetProperty("seq").GetUInt32()).ToArray();

    [Fact]
    public void Sends_oldest_first_and_removes_records_only_after_puback()
    {
        for (int m = 0; m < 6; m++) Record(m);
        var uplink = Uplink();

        Assert.Equal(4, uplink.Step());
        // Ten minutes old: late, so on the backfill topic (below).
        Assert.Equal("iot/v1/NS-0001/backfill", _mqtt.Published[0].Topic);
        Assert.Equal([1u, 2u, 3u, 4u], Seqs(_mqtt.Published[0].Payload));
        Assert.Equal(0, uplink.Step()); // waiting for the PUBACK
        Assert.Equal(6, _journal.Pending);

        _mqtt.Acknowledge(_mqtt.Published[0].Id);
        Assert.Equal(2, uplink.Step());
        Assert.Equal(2, _journal.Pending);
        Assert.Equal([5u, 6u], Seqs(_mqtt.Published[1].Payload));

        _mqtt.Acknowledge(_mqtt.Published[1].Id);
        uplink.Step();
        Assert.Equal(0, _journal.Pending);
        Assert.Equal(6, uplink.Delivered);
    }

    [Fact]
    public void A_lost_session_resends_the_same_records()
    {
        for (int m = 0; m < 3; m++) Record(m);
        var uplink = Uplink();
        uplink.Step();

        _mqtt.IsConnected = false;
        uplink.Step();
        _mqtt.IsConnected = true;
        uplink.Step();

        Assert.Equal(2, _mqtt.Published.Count);
        Assert.Equal(Seqs(_mqtt.Published[0].Payload), Seqs(_mqtt.Published[1].Payload));
        Assert.Equal(3, _journal.Pending);
    }

    [Fact]
    public void Records_appended_while_a_batch_is_in_flight_are_kept_and_sent_next()
    {
        Record(0);
        var uplink = Uplink();
        uplink.Step();
        Record(1);
        _mqtt.Acknowledge(_mqtt.Published[0].Id);
        uplink.Step();

        Assert.Equal([2u], Seqs(_mqtt.Published[1].Payload));
        Assert.Equal(1, _journal.Pending);
    }

    [Fact]
    public void Backfilled_records_keep_their_time_and_carry_the_backfill_bit()
    {
        Record(0);
        _clock.UtcSeconds = T0 + 3 * 3600;
        Uplink().Step();

        var rec = JsonDocument.Parse(_mqtt.Published[0].Payload).RootElement.GetProperty("recs")[0];
        Assert.Equal(T0, rec.GetProperty("t").GetInt64());
        Assert.Equal(QualityBits.Backfill, rec.GetProperty("q").GetInt32());
    }

    [Fact]
    public void Late_records_go_on_the_backfill_topic_and_fresh_ones_on_telemetry()
    {
        // Three hours offline: 180 minutes in the journal, then the link returns with one more minute just measured.
        for (int m = 0; m < 180; m++) Record(m);
        _clock.UtcSeconds = T0 + 180 * 60 + 60;
        Record(180);
        var uplink = Uplink(batch: 50);

        var topics = new List<string>();
        while (uplink.Step() > 0)
        {
            var sent = _mqtt.Published[^1];
            topics.Add(sent.Topic);
            var late = JsonDocument.Parse(sent.Payload).RootElement.GetProperty("recs").EnumerateArray()
                .Select(r => (r.GetProperty("q").GetInt32() & QualityBits.Backfill) != 0).ToArray();
            // The topic follows the envelope's oldest record: late ones on backfill, an envelope of fresh ones on telemetry.
            Assert.Equal(late[0] ? "iot/v1/NS-0001/backfill" : "iot/v1/NS-0001/telemetry", sent.Topic);
            _mqtt.Acknowledge(sent.Id);
        }
        Assert.Equal(0, _journal.Pending);
        // 181 records in envelopes of 50, the last one late at its start and fresh at its end: all four on backfill.
        Assert.Equal(Enumerable.Repeat("iot/v1/NS-0001/backfill", 4), topics);

        // Once caught up, each new minute goes out live on telemetry.
        _clock.UtcSeconds += 60;
        Record(181);
        uplink.Step();
        Assert.Equal("iot/v1/NS-0001/telemetry", _mqtt.Published[^1].Topic);
    }

    [Fact]
    public void A_fresh_minute_waits_for_the_devices_offset_and_a_late_one_does_not()
    {
        var uplink = Uplink();
        uplink.SpreadLiveRecords(17);
        Record(0);
        _clock.UtcSeconds = T0 + 60; // the minute just closed
        Assert.Equal(0, uplink.Step());
        _clock.UtcSeconds = T0 + 60 + 16;
        Assert.Equal(0, uplink.Step());
        _clock.UtcSeconds = T0 + 60 + 17;
        Assert.Equal(1, uplink.Step());
        Assert.Equal("iot/v1/NS-0001/telemetry", _mqtt.Published[0].Topic);
        _mqtt.Acknowledge(_mqtt.Published[0].Id);

        // After an outage the journal's late records go at once, and with them the fresh minute behind them.
        for (int m = 1; m < 5; m++) Record(m);
        _clock.UtcSeconds = T0 + 5 * 60;
        Assert.True(uplink.Step() > 0);
        Assert.Equal("iot/v1/NS-0001/backfill", _mqtt.Published[1].Topic);
        Assert.Throws<ArgumentOutOfRangeException>(() => uplink.SpreadLiveRecords(60));
    }

    [Fact]
    public void A_clock_set_back_does_not_hold_a_minute_until_it_comes_round_again()
    {
        var uplink = Uplink();
        uplink.SpreadLiveRecords(17);
        Record(0);
        _clock.UtcSeconds = T0 + 60 + 5;
        Assert.Equal(0, uplink.Step()); // held for its offset
        // NTP sets a clock that ran an hour ahead back: the minute's window now ends in the future.
        _clock.UtcSeconds = T0 + 60 + 5 - 3600;
        Assert.Equal(1, uplink.Step());
    }

    [Fact]
    public void Missing_puback_is_retried_after_the_timeout()
    {
        Record(0);
        var uplink = Uplink();
        uplink.Step();
        _clock.MonotonicMs += 29_000;
        uplink.Step();
        Assert.Single(_mqtt.Published);
        _clock.MonotonicMs += 2_000;
        uplink.Step();
        Assert.Equal(2, _mqtt.Published.Count);
    }

    [Fact]
    public void Reconnect_backoff_grows_with_jitter_up_to_the_cap_and_resets()
    {
        var a = new ReconnectBackoff(1000, 60_000, seed: 1);
        var b = new ReconnectBackoff(1000, 60_000, seed: 2);
        var delaysA = Enumerable.Range(0, 12).Select(_ => a.NextDelayMs()).ToArray();
        var delaysB = Enumerable.Range(0, 12).Select(_ => b.NextDelayMs()).ToArray();

        for (int n = 0; n < 12; n++) Assert.InRange(delaysA[n], 1000, Math.Min(60_000, 1000 << (n + 1)));
        Assert.NotEqual(delaysA, delaysB);
        Assert.Contains(delaysA, d => d > 8000);
        a.Reset();
        Assert.InRange(a.NextDelayMs(), 1000, 2000);
    }

    [Fact]
    public void A_fleet_dropped_at_once_spreads_even_its_first_retry()
    {
        // A broker restart drops every gateway in the same instant; seeded per device, their first retries do not coincide.
        var first = Enumerable.Range(0, 1000).Select(i => new ReconnectBackoff(2000, 300_000, (uint)(i * 2654435761u + 1)).NextDelayMs()).ToArray();
        Assert.All(first, d => Assert.InRange(d, 2000, 4000));
        var busiest = first.GroupBy(d => d / 100).Max(g => g.Count());
        Assert.True(busiest < 100, $"{busiest} of 1,000 gateways retry within the same 100 ms");
    }
}
