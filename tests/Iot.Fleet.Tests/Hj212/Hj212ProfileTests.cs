using Iot.Contract;
using Iot.Fleet.Hj212;
using Iot.Hj212;
using Microsoft.Extensions.Options;
using Xunit;
using QualityBits = Iot.Contract.QualityBits;

namespace Iot.Fleet.Tests.Hj212;

/// <summary>The shipped platform profiles turn HJ 212 data into our channels, units and quality bits.</summary>
public class Hj212ProfileTests
{
    private const string Dust2051 = "##0237QN=20260315103100123;ST=22;CN=2051;PW=123456;MN=0A1B2C3D4E5F000000000001;Flag=5;CP=&&DataTime=20260315103000;a34001-Min=0.081,a34001-Avg=0.095,a34001-Max=0.112,a34001-Flag=N;a50001-Min=52.3,a50001-Avg=58.6,a50001-Max=71.2,a50001-Flag=N&&E381\r\n";
    private const string Noise2025Resent = "##0171QN=20260315223100001;ST=23;CN=2051;PW=123456;MN=0A1B2C3D4E5F000000000003;Flag=9;RF=1;CP=&&DataTime=20260315223000;Leq-Data=57.4;L10-Data=60.1;L90-Data=51.2;LMx-Data=71.8&&7F80\r\n";

    private static Hj212Profiles Shipped(Dictionary<string, Hj212Profile>? configured = null) =>
        new(Options.Create(new Hj212Options { Profiles = configured ?? [] }));

    private static Hj212Packet Packet(string frame) => Hj212Parser.Parse(frame).Packet!;

    [Fact]
    public void Dust_and_noise_become_our_channels_in_our_units_at_datatime()
    {
        var reading = Hj212Profiles.Read(Packet(Dust2051), Shipped().Find("default")!, out var why)!;
        Assert.Null(why);
        Assert.Equal(95, reading.Measurements["tsp"], 6);        // mg/m³ → µg/m³
        Assert.Equal(58.6, reading.Measurements["laeq"]);
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 2, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds(), reading.Time); // Beijing 10:30
        Assert.Equal((60, 0), (reading.Duration, reading.Quality));
    }

    [Fact]
    public void A_resent_2025_noise_frame_is_backfill_and_lmx_is_lafmax()
    {
        var reading = Hj212Profiles.Read(Packet(Noise2025Resent), Shipped().Find("default")!, out _)!;
        Assert.Equal((57.4, 71.8, 60.1, 51.2), (reading.Measurements["laeq"], reading.Measurements["lafmax"], reading.Measurements["l10"], reading.Measurements["l90"]));
        Assert.Equal(QualityBits.Backfill, reading.Quality);
    }

    [Theory]
    [InlineData("N", 0)]
    [InlineData("D", QualityBits.SensorFault)]
    [InlineData("M", QualityBits.Maintenance)]
    [InlineData("C", QualityBits.Maintenance)]
    [InlineData("Z", QualityBits.SensorFault)]
    public void Data_flags_become_quality_bits(string flag, int quality)
    {
        var reading = Hj212Profiles.Read(Packet(Hj212Frame.Wrap(Dust2051[6..^6].Replace("a34001-Flag=N", $"a34001-Flag={flag}"))), Shipped().Find("default")!, out _)!;
        Assert.Equal(quality, reading.Quality);
    }

    [Fact]
    public void A_configured_profile_extends_a_shipped_one_with_its_own_codes()
    {
        var profiles = Shipped(new() { ["cityx"] = new Hj212Profile { BasedOn = "default", Codes = new() { ["a34001"] = new Hj212Code { Channel = "pm10", Scale = 1000 } } } });
        var reading = Hj212Profiles.Read(Packet(Dust2051), profiles.Find("cityx")!, out _)!;
        Assert.Equal(95, reading.Measurements["pm10"], 6);
        Assert.Equal(58.6, reading.Measurements["laeq"]);
        Assert.False(reading.Measurements.ContainsKey("tsp"));
    }

    [Theory]
    [InlineData("1", "0", 1.0, 0.0)]
    [InlineData("1", "1", 1.0, 1.0)]
    [InlineData("0", "2", 0.0, null)] // a state the profile does not list (2: calibration in 2017) is left out, not read as off
    public void Fan_and_purifier_states_become_fan_and_pur(string fanState, string purifierState, double fan, double? pur)
    {
        var frame = Hj212Frame.Wrap("QN=20180531225849000;ST=31;CN=2051;PW=123456;MN=010000A8900016F018010001;Flag=5;" +
            $"CP=&&DataTime=20180531225800;a34041-Avg=3.10,a34041-Flag=N;SB1-RS={fanState};SB2-RS={purifierState}&&");
        var reading = Hj212Profiles.Read(Packet(frame), Shipped().Find("fume")!, out var why)!;
        Assert.Null(why);
        Assert.Equal(3.10, reading.Measurements["fume"]);
        Assert.Equal(fan, reading.Measurements["fan"]);
        Assert.Equal(pur, reading.Measurements.TryGetValue("pur", out var p) ? p : null);
        Assert.Equal(0, reading.Quality);
    }

    [Fact]
    public void Hours_are_records_of_an_hour_for_a_profile_that_asks_and_days_fit_no_record()
    {
        var profiles = Shipped(new() { ["hourly"] = new Hj212Profile { BasedOn = "default", RecordCommands = ["2061"] } });
        var hour = Hj212Profiles.Read(Packet(Hj212Frame.Wrap(Dust2051[6..^6].Replace("CN=2051", "CN=2061"))), profiles.Find("hourly")!, out _)!;
        Assert.Equal(3600, hour.Duration);
        var days = Assert.Throws<InvalidOperationException>(() => Shipped(new() { ["daily"] = new Hj212Profile { BasedOn = "default", RecordCommands = ["2031"] } }));
        Assert.Contains("2031", days.Message);
    }

    [Fact]
    public void Seq_is_the_identity_of_cn_and_datatime()
    {
        var t = new DateTimeOffset(2026, 3, 15, 2, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        Assert.Equal(Hj212Profiles.SeqOf("2051", t), Hj212Profiles.SeqOf("2051", t));
        Assert.NotEqual(Hj212Profiles.SeqOf("2051", t), Hj212Profiles.SeqOf("2011", t));
        Assert.NotEqual(Hj212Profiles.SeqOf("2051", t), Hj212Profiles.SeqOf("2051", t + 60));
    }
}

public class Hj212ProfileKeyTests
{
    [Fact]
    public void A_profile_with_an_sm4_key_reads_encrypted_cps()
    {
        var profiles = new Hj212Profiles(Options.Create(new Hj212Options
        {
            Profiles = new() { ["sealed"] = new Hj212Profile { BasedOn = "default", Sm4Key = new string('0', 16) } },
        }));
        var dialect = profiles.Find("sealed")!.Dialect;
        var upload = Hj212Builder.Upload("2051", "22", "0A1B2C3D4E5F000000000009", "123456", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [("a34002", [("Avg", "0.210"), ("Flag", "N")])], Hj212Version.V2025);
        var parsed = Hj212Parser.Parse(Hj212Builder.Frame(upload, dialect), dialect);
        Assert.True(parsed.Ok, parsed.Problem?.Reason);
        Assert.Equal(210, Hj212Profiles.Read(parsed.Packet!, profiles.Find("sealed")!, out _)!.Measurements["pm10"], 6);
        Assert.Null(profiles.Find("default")!.Dialect.CpCipher);
    }
}

public class Hj212ProfileSecretTests
{
    [Fact]
    public void A_profile_as_shown_never_carries_its_key()
    {
        var profile = new Hj212Profile { BasedOn = "default", Sm4Key = "0123456789ABCDEF" };
        var json = System.Text.Json.JsonSerializer.Serialize(profile);
        Assert.DoesNotContain("0123456789ABCDEF", json);
        Assert.Contains("\"Encrypted\":true", json);
    }
}
