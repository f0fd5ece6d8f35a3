using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Iot.Contract.Http;
using Iot.Fleet.Commissioning;
using Iot.Hj212;
using Iot.Stack;
using Iot.Testing;
using Xunit;

namespace Iot.Fleet.Tests.EndToEnd;

/// <summary>Third-party monitors over HJ 212 on the real fleet, broker and InfluxDB: a dust and noise monitor's minute
/// data raises a lead whose evidence carries the raw frames; a monitor sending broken frames disturbs nobody else.</summary>
[Collection(PipelineCollection.Name)]
public sealed class Hj212EndToEndTests(PipelineFixture pipeline)
{
    private const string Password = "123456";

    private async Task RegisterMonitor(string site, string device, string mn, string profile = "default", string[]? kinds = null)
    {
        using var http = pipeline.Fleet.Http();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites",
            new { id = site, name = $"Site {site}", kinds = kinds ?? ["dust", "noise"], timezone = "Asia/Shanghai", grid = "G-1", profile = "default" })).StatusCode);
        var created = await http.PostAsJsonAsync("/api/devices", new { id = device, site, protocol = "hj212", mn, password = Password, profile });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Null((await created.Content.ReadFromJsonAsync<JsonObject>())!["credentials"]);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync($"/api/sites/{site}/commissioning",
            new { passed = true, note = "test: reviewed before the records it judges", validFrom = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero) })).StatusCode);
    }

    private static DateTimeOffset MinuteAgo(int minutes) =>
        DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60).AddMinutes(-minutes);

    private static (string, (string, string)[])[] Dust(string pm10MgM3) =>
    [
        ("a34002", [("Min", "0.050"), ("Avg", pm10MgM3), ("Max", "0.300"), ("Flag", "N")]),
        ("a34004", [("Avg", "0.080"), ("Flag", "N")]),
        ("a01007", [("Avg", "1.5"), ("Flag", "N")]),
        ("a50001", [("Avg", "58.6"), ("Max", "71.2"), ("Flag", "N")]),
    ];

    [Fact]
    public async Task A_dust_monitors_breach_over_hj212_raises_a_lead_whose_evidence_carries_the_raw_frames()
    {
        await RegisterMonitor("D-HJ212-1", "HJ-DUST-1", "0A1B2C3D4E5F000000000101");
        await using var monitor = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, "0A1B2C3D4E5F000000000101", Password);
        var start = MinuteAgo(90);
        for (int i = 0; i < 65; i++)
        {
            var answer = await monitor.SendMinute(start.AddMinutes(i), Dust("0.210"));
            Assert.True(answer is { Cn: Hj212Commands.DataAck }, $"minute {i}: {answer?.Cn} {answer?.Cp.Text}");
        }
        // Sent again (the 9014 was lost): stored once, answered again.
        var again = await monitor.Send(monitor.Data(Hj212Commands.MinuteData, start, resent: true, Dust("0.210")));
        Assert.Equal(Hj212Commands.DataAck, again?.Cn);
        Assert.Equal(65, pipeline.JournalCount("HJ-DUST-1"));
        Assert.Equal(0, pipeline.RowCount("events", "HJ-DUST-1")); // the re-send (backfill bit) is no conflict

        var lead = (await pipeline.Eventually(() => pipeline.Leads("D-HJ212-1"), l => l.Any(x => (string)x!["rule"]! == "dust.pm10"), "the PM10 lead"))
            .First(x => (string)x!["rule"]! == "dust.pm10")!;
        using var http = pipeline.Fleet.Http();
        var zip = await http.GetByteArrayAsync($"/api/leads/{(long)lead["id"]!}/evidence.zip");
        using var bundle = new ZipArchive(new MemoryStream(zip));
        var index = new StreamReader(bundle.GetEntry("messages/index.csv")!.Open()).ReadToEnd();
        Assert.Contains("hj212/0A1B2C3D4E5F000000000101/2051", index);
        var frames = bundle.Entries.Where(e => e.FullName.StartsWith("messages/0")).Select(e => new StreamReader(e.Open()).ReadToEnd()).ToList();
        Assert.NotEmpty(frames);
        Assert.All(frames, f => Assert.True(Hj212Parser.Parse(f).Ok, f));
        Assert.Contains(frames, f => f.Contains("a34002-Avg=0.210"));
        // The record on our wire model: PM10 in µg/m³, event time = DataTime (Beijing time in the frame).
        var records = new StreamReader(bundle.Entries.First(e => e.FullName.StartsWith("readings")).Open()).ReadToEnd();
        Assert.Contains("210", records);
    }

    [Fact]
    public async Task A_fume_monitor_whose_purifier_is_off_while_the_fan_runs_raises_the_purifier_lead()
    {
        const string mn = "0A1B2C3D4E5F000000000501";
        await RegisterMonitor("R-HJ212-FUME", "HJ-FUME-1", mn, profile: "fume", kinds: ["fume"]);
        await using var monitor = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, mn, Password, st: "31");
        var start = MinuteAgo(30);
        // Cooking at lunch: fume over 2.0 mg/m³, the exhaust fan (SB1) running and the purifier (SB2) stopped, 15 minutes.
        for (int i = 0; i < 15; i++)
            Assert.Equal(Hj212Commands.DataAck, (await monitor.SendMinute(start.AddMinutes(i),
                ("a34041", [("Avg", "3.20"), ("Flag", "N")]), ("SB1", [("RS", "1")]), ("SB2", [("RS", "0")])))?.Cn);

        var leads = await pipeline.Eventually(() => pipeline.Leads("R-HJ212-FUME"),
            l => l.Any(x => (string)x!["rule"]! == "fume.purifier_off") && l.Any(x => (string)x!["rule"]! == "fume.concentration"), "the fume leads");
        var purifier = leads.First(x => (string)x!["rule"]! == "fume.purifier_off")!;
        Assert.Equal(0.0, (double)purifier["value"]!); // the purifier's running share over the window
        Assert.Equal(["HJ-FUME-1"], purifier["devices"]!.AsArray().Select(d => (string)d!));
    }

    [Fact]
    public async Task Broken_frames_from_one_monitor_disturb_no_other()
    {
        await RegisterMonitor("D-HJ212-GOOD", "HJ-GOOD-1", "0A1B2C3D4E5F000000000201");
        await RegisterMonitor("D-HJ212-BAD", "HJ-BAD-1", "0A1B2C3D4E5F000000000202");
        await using var good = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, "0A1B2C3D4E5F000000000201", Password);
        await using var bad = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, "0A1B2C3D4E5F000000000202", Password);
        var start = MinuteAgo(30);

        var sabotage = Task.Run(async () =>
        {
            var frame = Hj212Builder.Frame(bad.Data(Hj212Commands.MinuteData, start, false, Dust("0.100")));
            await bad.SendRaw(Encoding.ASCII.GetBytes("garbage\r\n\0\0###"));
            await bad.SendRaw(Encoding.ASCII.GetBytes(frame[..^6] + "0000\r\n"));                       // bad CRC
            var badCrc = await bad.Answer(null, 5);
            await bad.SendRaw(Encoding.ASCII.GetBytes("##0100" + frame[6..]));                           // bad length
            await bad.SendRaw(Encoding.ASCII.GetBytes(Hj212Frame.Wrap(
                "QN=20260101000000000;ST=22;CN=2051;PW=123456;MN=0A1B2C3D4E5F000000000202;Flag=5;CP=&&DataTime=" + new string('9', 9000) + "&&"))); // huge, not a time
            await bad.SendRaw(Encoding.ASCII.GetBytes("##9999" + new string('x', 30000)));              // no end
            await bad.SendRaw(Encoding.ASCII.GetBytes(Hj212Frame.Wrap(frame[6..^6].Replace("CN=2051", "CN=3999")))); // wrong code
            bad.Password = "654321";
            var wrongPw = await bad.SendMinute(start.AddMinutes(1), Dust("0.100"));
            return (badCrc, wrongPw);
        });
        for (int i = 0; i < 20; i++)
            Assert.Equal(Hj212Commands.DataAck, (await good.SendMinute(start.AddMinutes(i), Dust("0.050")))?.Cn);
        var (crcAnswer, pwAnswer) = await sabotage;
        Assert.Equal(("9011", "9"), (crcAnswer?.Cn, crcAnswer?.Cp["QnRtn"]));
        Assert.Equal(("9011", "3"), (pwAnswer?.Cn, pwAnswer?.Cp["QnRtn"]));
        Assert.Equal(20, pipeline.JournalCount("HJ-GOOD-1"));
        Assert.Equal(0, pipeline.JournalCount("HJ-BAD-1"));

        // Registration: an MN is one device's, and must look like one.
        using (var http = pipeline.Fleet.Http())
        {
            Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-DUP-1", site = "D-HJ212-BAD", protocol = "hj212", mn = "0A1B2C3D4E5F000000000202", password = Password })).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-SHORT-1", site = "D-HJ212-BAD", protocol = "hj212", mn = "SHORT", password = Password })).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-NOPROF-1", site = "D-HJ212-BAD", protocol = "hj212", mn = "0A1B2C3D4E5F000000000203", password = Password, profile = "nosuch" })).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/devices/HJ-DUP-1")).StatusCode);
        }

        // An unknown MN is refused, on its own connection.
        await using var stranger = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, "0A1B2C3D4E5F000000000299", Password);
        Assert.Equal("4", (await stranger.SendMinute(start, Dust("0.100")))?.Cp["QnRtn"]);

        var rejections = await pipeline.Eventually(() => pipeline.Get("/api/rejections?device=HJ-BAD-1"), r => r.Count >= 5, "the bad monitor's rejections");
        var reasons = string.Join("\n", rejections.Select(r => (string)r!["reason"]!));
        Assert.Contains("CRC", reasons);
        Assert.Contains("length says 100", reasons);
        Assert.Contains("PW does not match", reasons);
        Assert.Contains("CN 3999", reasons);
        Assert.Contains(await pipeline.Get("/api/rejections"), r => ((string)r!["reason"]!).Contains("unknown MN 0A1B2C3D4E5F000000000299"));
        Assert.True(good.Connected);
    }
}

/// <summary>2025 §6.4: each monitor encrypts its CPs with its own SM4 key, registered with it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class Hj212EncryptionEndToEndTests(PipelineFixture pipeline)
{
    private const string KeyA = "0123456789ABCDEFFEDCBA9876543210", KeyB = "00112233445566778899aabbccddeeff";

    [Fact]
    public async Task Each_monitor_is_read_with_its_own_sm4_key_and_its_gap_fetch_goes_out_under_it()
    {
        const string mnA = "0A1B2C3D4E5F000000000401", mnB = "0A1B2C3D4E5F000000000402";
        using (var http = pipeline.Fleet.Http())
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites",
                new { id = "D-HJ212-SM4", name = "SM4 site", kind = "dust", timezone = "Asia/Shanghai", grid = "G-1", profile = "default" })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-SM4-A", site = "D-HJ212-SM4", protocol = "hj212", mn = mnA, password = "123456", sm4Key = KeyA })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-SM4-B", site = "D-HJ212-SM4", protocol = "hj212", mn = mnB, password = "123456", sm4Key = KeyB })).StatusCode);
            var badKey = await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-SM4-C", site = "D-HJ212-SM4", protocol = "hj212", mn = "0A1B2C3D4E5F000000000403", password = "123456", sm4Key = "0123" });
            Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
            Assert.Contains("sm4Key", await badKey.Content.ReadAsStringAsync());
            // The key is a secret: neither the device nor the audit entry of its registration shows it.
            Assert.DoesNotContain(KeyA, await http.GetStringAsync("/api/devices/HJ-SM4-A"), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(KeyA, await http.GetStringAsync("/api/audit?subject=device:HJ-SM4-A"), StringComparison.OrdinalIgnoreCase);
        }
        await using var a = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, mnA, "123456", version: Hj212Version.V2025);
        await using var b = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, mnB, "123456", version: Hj212Version.V2025);
        a.Dialect = Hj212Dialect.Default with { CpCipher = Hj212Sm4Cipher.FromText(KeyA) };
        b.Dialect = Hj212Dialect.Default with { CpCipher = Hj212Sm4Cipher.FromText(KeyB) };
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60).AddMinutes(-30);
        (string, (string, string)[])[] Values(int i) => [("a34002", [("Avg", "0.0" + (50 + i)), ("Flag", "N")])];
        a.History = (begin, end) => Enumerable.Range(0, 10).Select(i => start.AddMinutes(i)).Where(t => t >= begin && t <= end)
            .Select(t => a.Data(Hj212Commands.MinuteData, t, false, Values((int)(t - start).TotalMinutes))).ToList();

        var onWire = Hj212Builder.Frame(a.Data(Hj212Commands.MinuteData, start, false, Values(0)), a.Dialect);
        Assert.Contains("CP=&&{0x", onWire); // what the fleet receives is ciphertext
        Assert.Equal(Hj212Commands.DataAck, (await a.SendMinute(start, Values(0)))?.Cn);
        Assert.Equal(Hj212Commands.DataAck, (await b.SendMinute(start, Values(0)))?.Cn);
        // Minutes 1 and 2 are lost; the fetch goes out encrypted under A's key (the simulated monitor reads it with that key only).
        Assert.Equal(Hj212Commands.DataAck, (await a.SendMinute(start.AddMinutes(3), Values(3)))?.Cn);
        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("HJ-SM4-A")), n => n == 4, "A's fetched minutes");
        Assert.Equal(Hj212Time.Format(start.AddMinutes(1), Hj212Time.ChinaOffset), a.Commands.Single(c => c.Cn == Hj212Commands.MinuteData).Cp["BeginTime"]);

        // B's MN with A's key: the CP does not decrypt to a frame whose CRC holds, so it is refused, not stored.
        b.Dialect = a.Dialect;
        var refused = await b.SendMinute(start.AddMinutes(1), Values(1));
        Assert.Equal((Hj212Commands.RequestAnswer, "9"), (refused?.Cn, refused?.Cp["QnRtn"]));
        Assert.Equal(1, pipeline.JournalCount("HJ-SM4-B"));
    }
}

/// <summary>The fleet asks a monitor for what is missing: minutes of a gap (2051 with BeginTime/EndTime), and its clock (1011/1012).</summary>
[Collection(PipelineCollection.Name)]
public sealed class Hj212CommandsEndToEndTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task A_gap_in_a_monitors_minutes_is_fetched_and_a_drifting_clock_is_set()
    {
        const string mn = "0A1B2C3D4E5F000000000301";
        using (var http = pipeline.Fleet.Http())
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites",
                new { id = "D-HJ212-GAP", name = "Gap site", kind = "dust", timezone = "Asia/Shanghai", grid = "G-1", profile = "default" })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-GAP-1", site = "D-HJ212-GAP", protocol = "hj212", mn, password = "123456" })).StatusCode);
        }
        await using var monitor = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, mn, "123456");
        monitor.ClockOffset = TimeSpan.FromMinutes(7);
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60).AddMinutes(-40);
        (string, (string, string)[])[] Values(int i) => [("a34002", [("Avg", (0.05 + i / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)), ("Flag", "N")])];
        monitor.History = (begin, end) => Enumerable.Range(0, 20).Select(i => start.AddMinutes(i)).Where(t => t >= begin && t <= end)
            .Select(t => monitor.Data(Hj212Commands.MinuteData, t, false, Values((int)(t - start).TotalMinutes))).ToList();

        for (int i = 0; i < 5; i++) Assert.Equal(Hj212Commands.DataAck, (await monitor.SendMinute(start.AddMinutes(i), Values(i)))?.Cn);
        // Minutes 5 … 14 are lost on the way; minute 15 arrives.
        Assert.Equal(Hj212Commands.DataAck, (await monitor.SendMinute(start.AddMinutes(15), Values(15)))?.Cn);

        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("HJ-GAP-1")), n => n == 16, "the fetched minutes");
        var fetch = monitor.Commands.Single(c => c.Cn == Hj212Commands.MinuteData);
        Assert.Equal((Hj212Time.Format(start.AddMinutes(5), Hj212Time.ChinaOffset), Hj212Time.Format(start.AddMinutes(14), Hj212Time.ChinaOffset)),
            (fetch.Cp["BeginTime"], fetch.Cp["EndTime"]));

        Assert.Contains(monitor.Commands, c => c.Cn == Hj212Commands.GetTime);
        Assert.Contains(monitor.Commands, c => c.Cn == Hj212Commands.SetTime);
        Assert.True(monitor.ClockOffset.Duration() < TimeSpan.FromSeconds(5), $"clock still off by {monitor.ClockOffset}");
        var connection = (await pipeline.Get("/api/hj212/connections")).Single(c => (string?)c!["mn"] == mn)!;
        Assert.False((bool)connection["clockUnsynced"]!);
        Assert.Equal(1, (long)connection["gapsFetched"]!);

        // The installer sees the monitor's login and its clock, as read and as set, in the commissioning check.
        var report = await pipeline.GetObject("/api/devices/HJ-GAP-1/commissioning");
        var checks = report!["checks"]!.AsArray().ToDictionary(c => (string)c!["name"]!, c => c!);
        Assert.Equal(CommissioningCheck.Pass, (string?)checks[CommissioningChecklist.MonitorConnected]["status"]);
        Assert.Equal(CommissioningCheck.Pass, (string?)checks[CommissioningChecklist.ClockSynced]["status"]);
        Assert.Matches(@"^was off by 4[12]\d s; set right over 1012$", (string?)checks[CommissioningChecklist.ClockSynced]["detail"]);
        Assert.DoesNotContain(CommissioningChecklist.Signal, checks.Keys);
    }

    [Fact]
    public async Task A_gap_from_before_a_reconnect_is_fetched_when_the_monitor_is_back()
    {
        const string mn = "0A1B2C3D4E5F000000000302";
        using (var http = pipeline.Fleet.Http())
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/sites",
                new { id = "D-HJ212-RECONNECT", name = "Reconnect site", kind = "dust", timezone = "Asia/Shanghai", grid = "G-1", profile = "default" })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/devices",
                new { id = "HJ-RECONNECT-1", site = "D-HJ212-RECONNECT", protocol = "hj212", mn, password = "123456" })).StatusCode);
        }
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60).AddMinutes(-90);
        (string, (string, string)[])[] Values(int i) => [("a34002", [("Avg", "0.0" + (50 + i % 40)), ("Flag", "N")])];
        await using (var before = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, mn, "123456"))
            for (int i = 0; i < 5; i++) Assert.Equal(Hj212Commands.DataAck, (await before.SendMinute(start.AddMinutes(i), Values(i)))?.Cn);

        // An hour off the network; back with minute 65, it is asked for minutes 5 … 64 and sends them.
        await using var after = await SimulatedMonitor.Connect(pipeline.Fleet.Options.Hj212Port, mn, "123456");
        after.History = (begin, end) => Enumerable.Range(0, 66).Select(i => start.AddMinutes(i)).Where(t => t >= begin && t <= end)
            .Select(t => after.Data(Hj212Commands.MinuteData, t, false, Values((int)(t - start).TotalMinutes))).ToList();
        Assert.Equal(Hj212Commands.DataAck, (await after.SendMinute(start.AddMinutes(65), Values(65)))?.Cn);

        await pipeline.Eventually(() => Task.FromResult(pipeline.JournalCount("HJ-RECONNECT-1")), n => n == 66, "the minutes missed while away");
        var fetch = after.Commands.Single(c => c.Cn == Hj212Commands.MinuteData);
        Assert.Equal((Hj212Time.Format(start.AddMinutes(5), Hj212Time.ChinaOffset), Hj212Time.Format(start.AddMinutes(64), Hj212Time.ChinaOffset)),
            (fetch.Cp["BeginTime"], fetch.Cp["EndTime"]));
    }
}
