using System.Text;

namespace Iot.Hj212.Tests;

/// <summary>Frames from docs/hj212-notes.md §2 and §7, whose CRCs were verified there.</summary>
public class CodecTests
{
    public const string A1 = "##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&2200\r\n";
    public const string Fume2011 = "##0158QN=20180531225849000;ST=31;CN=2011;PW=123456;MN=010000A8900016F018010001;Flag=5;CP=&&DataTime=20180531225849;a34041-Rtd=0.00,a34041-Flag=N;SB7-RS=2;SB8-RS=2&&9181\r\n";
    public const string Dust2051 = "##0237QN=20260315103100123;ST=22;CN=2051;PW=123456;MN=0A1B2C3D4E5F000000000001;Flag=5;CP=&&DataTime=20260315103000;a34001-Min=0.081,a34001-Avg=0.095,a34001-Max=0.112,a34001-Flag=N;a50001-Min=52.3,a50001-Avg=58.6,a50001-Max=71.2,a50001-Flag=N&&E381\r\n";
    public const string Noise2025Resent = "##0171QN=20260315223100001;ST=23;CN=2051;PW=123456;MN=0A1B2C3D4E5F000000000003;Flag=9;RF=1;CP=&&DataTime=20260315223000;Leq-Data=57.4;L10-Data=60.1;L90-Data=51.2;LMx-Data=71.8&&7F80\r\n";
    public const string Rtd2017 = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";

    [Theory]
    [InlineData(A1)]
    [InlineData(Fume2011)]
    [InlineData(Dust2051)]
    [InlineData(Noise2025Resent)]
    public void The_notes_example_frames_pass_length_and_crc(string frame)
    {
        var r = Hj212Parser.Parse(frame);
        Assert.True(r.Ok, r.Problem?.Reason);
        Assert.Equal(frame, Hj212Frame.Wrap(r.Packet!.Segment));
    }

    [Fact]
    public void The_crc_is_hj212s_not_modbus()
    {
        var segment = A1[6..^6];
        Assert.Equal(0x2200, Hj212Frame.Crc(segment));
        Assert.NotEqual(0xCCF4, Hj212Frame.Crc(segment));
        Assert.Equal("1C80", Rtd2017[^6..^2]);
        Assert.Equal(0x1C80, Hj212Frame.Crc(Rtd2017[6..^6]));
    }

    [Fact]
    public void The_9014_reply_to_the_dust_frame_has_the_notes_crc()
    {
        var upload = Hj212Parser.Parse(Dust2051).Packet!;
        var reply = Hj212Builder.Frame(Hj212Builder.DataAck(upload));
        Assert.Equal("##0087QN=20260315103100123;ST=91;CN=9014;PW=123456;MN=0A1B2C3D4E5F000000000001;Flag=4;CP=&&&&7C40\r\n", reply);
    }

    [Fact]
    public void Fields_and_factors_are_read()
    {
        var p = Hj212Parser.Parse(Dust2051).Packet!;
        Assert.Equal(("20260315103100123", "22", "2051", "123456", "0A1B2C3D4E5F000000000001"), (p.Qn, p.St, p.Cn, p.Pw, p.Mn));
        Assert.True(p.ReplyRequested);
        Assert.Equal(Hj212Version.V2017, p.Version);
        Assert.Equal("20260315103000", p.Cp.DataTime);
        var tsp = p.Cp.Factors.Single(f => f.Code == "a34001");
        Assert.Equal(0.095, tsp.Number("Avg"));
        Assert.Equal("N", tsp.Flag);
        Assert.Equal(71.2, p.Cp.Factors.Single(f => f.Code == "a50001").Number("Max"));

        var fume = Hj212Parser.Parse(Fume2011).Packet!;
        Assert.Equal("2", fume.Cp.Factors.Single(f => f.Code == "SB7").Values["RS"]);

        var noise = Hj212Parser.Parse(Noise2025Resent).Packet!;
        Assert.True(noise.Resent);
        Assert.Equal(Hj212Version.V2025, noise.Version);
        Assert.Equal(71.8, noise.Cp.Factors.Single(f => f.Code == "LMx").Number("Data"));
    }

    [Fact]
    public void Lowercase_crc_and_2005_frames_without_qn_or_flag_are_accepted()
    {
        Assert.True(Hj212Parser.Parse(Dust2051.Replace("E381", "e381")).Ok);
        var seg = "ST=22;CN=2051;PW=123456;MN=88888880000001;CP=&&DataTime=20260315103000;a34002-Avg=0.05&&";
        var r = Hj212Parser.Parse(Hj212Frame.Wrap(seg));
        Assert.True(r.Ok, r.Problem?.Reason);
        Assert.Null(r.Packet!.Qn);
        Assert.Equal(Hj212Version.V2005, r.Packet.Version);
        Assert.False(Hj212Parser.Parse(Hj212Frame.Wrap(seg), Hj212Dialect.Default with { RequireQn = true }).Ok);
    }

    [Fact]
    public void Bad_frames_say_why_and_keep_the_header_for_the_answer()
    {
        var badCrc = Hj212Parser.Parse(Dust2051.Replace("E381", "E382"));
        Assert.Equal(Hj212QnRtn.CrcError, badCrc.Problem!.QnRtn);
        Assert.Equal("20260315103100123", badCrc.Packet!.Qn);
        var badLength = Hj212Parser.Parse("##0236" + Dust2051[6..]);
        Assert.Contains("length says 236", badLength.Problem!.Reason);
        Assert.Equal(Hj212QnRtn.MnError, Hj212Parser.Parse(Hj212Frame.Wrap("QN=20260315103100123;ST=22;CN=2051;PW=1;MN=SHORT;Flag=5;CP=&&&&")).Problem!.QnRtn);
        Assert.Equal(Hj212QnRtn.CnError, Hj212Parser.Parse(Hj212Frame.Wrap("QN=20260315103100123;ST=22;CN=20X1;PW=1;MN=88888880000001;Flag=5;CP=&&&&")).Problem!.QnRtn);
        Assert.NotNull(Hj212Parser.Parse("##9999QN=").Problem);
        Assert.NotNull(Hj212Parser.Parse("garbage\r\n").Problem);
        var huge = "##9999" + new string('x', 12000) + "0000\r\n";
        Assert.Contains("more than", Hj212Parser.Parse(huge).Problem!.Reason);
    }

    [Fact]
    public void Segments_up_to_9999_bytes_are_accepted_and_no_longer()
    {
        const string head = "QN=20260315103100123;ST=22;CN=2051;PW=123456;MN=88888880000001;Flag=5;CP=&&DataTime=20260315103000;x-Note=";
        string Segment(int bytes) => head + new string('a', bytes - head.Length - 2) + "&&";
        foreach (var n in new[] { 1623, 9999 })
        {
            var frame = Hj212Frame.Wrap(Segment(n));
            Assert.Equal(n.ToString("D4"), frame[2..6]);
            Assert.True(Hj212Parser.Parse(frame).Ok);
            Assert.Single(new Hj212Framer().Feed(System.Text.Encoding.ASCII.GetBytes(frame)), f => f.IsFrame);
        }
        Assert.Throws<ArgumentException>(() => Hj212Frame.Wrap(Segment(10_000)));
        Assert.False(Hj212Parser.Parse(Hj212Frame.Wrap(Segment(1623)), Hj212Dialect.Default with { MaxSegment = Hj212Frame.StandardMaxSegment }).Ok);
    }

    [Fact]
    public void Flag_bits()
    {
        Assert.Equal(5, Hj212Flag.Of(Hj212Version.V2017, replyRequested: true).Value);
        Assert.Equal(4, Hj212Flag.Of(Hj212Version.V2017).Value);
        Assert.Equal(9, Hj212Flag.Of(Hj212Version.V2025, replyRequested: true).Value);
        Assert.Equal(8, Hj212Flag.Of(Hj212Version.V2025).Value);
        Assert.True(new Hj212Flag(7).Split);
        Assert.Equal(Hj212Version.V2025, new Hj212Flag(11).Version);
    }

    [Fact]
    public void Commands_and_answers_are_built()
    {
        var now = new DateTimeOffset(2026, 3, 15, 2, 31, 0, TimeSpan.Zero);
        var fetch = Hj212Parser.Parse(Hj212Builder.Frame(Hj212Builder.HistoryRequest(Hj212Commands.MinuteData, "0A1B2C3D4E5F000000000001", "123456", "22",
            now.AddMinutes(-30), now.AddMinutes(-10), now)));
        Assert.True(fetch.Ok, fetch.Problem?.Reason);
        Assert.Equal("20260315100100", fetch.Packet!.Cp["BeginTime"]);
        Assert.Equal("20260315102100", fetch.Packet.Cp["EndTime"]);
        Assert.True(fetch.Packet.ReplyRequested);
        var answer = Hj212Parser.Parse(Hj212Builder.Frame(Hj212Builder.RequestAnswer(fetch.Packet, Hj212QnRtn.Ready))).Packet!;
        Assert.Equal(("9011", "1", fetch.Packet.Qn), (answer.Cn, answer.Cp["QnRtn"], answer.Qn));
        Assert.Equal("100", Hj212Parser.Parse(Hj212Builder.Frame(Hj212Builder.ExecutionResult(fetch.Packet, Hj212ExeRtn.NoData))).Packet!.Cp["ExeRtn"]);
        var set = Hj212Parser.Parse(Hj212Builder.Frame(Hj212Builder.SetTime("0A1B2C3D4E5F000000000001", "123456", "22", now, now))).Packet!;
        Assert.Equal(("1012", "20260315103100"), (set.Cn, set.Cp["SystemTime"]));
    }

    [Fact]
    public void Split_packets_are_reassembled()
    {
        var now = DateTimeOffset.UtcNow;
        var factors = Enumerable.Range(1, 80).Select(i => ($"a{34000 + i}", (IEnumerable<(string, string)>)[("Avg", "0.123"), ("Flag", "N")]));
        var whole = Hj212Builder.Upload("2051", "22", "0A1B2C3D4E5F000000000001", "123456", now, now, factors);
        var parts = Hj212Builder.Split(whole);
        Assert.True(parts.Count > 1);
        var r = new Hj212Reassembler();
        Hj212Packet? joined = null;
        foreach (var part in parts.Reverse())
        {
            var parsed = Hj212Parser.Parse(Hj212Builder.Frame(part));
            Assert.True(parsed.Ok, parsed.Problem?.Reason);
            Assert.True(Hj212Frame.ByteCount(parsed.Packet!.Segment) <= Hj212Frame.StandardMaxSegment);
            joined = r.Add(parsed.Packet!, now);
        }
        Assert.NotNull(joined);
        Assert.Equal(whole.Cp.Fields, joined!.Cp.Fields);
        Assert.Equal(0, r.PendingCount);
    }

    [Fact]
    public void The_framer_finds_the_frames_in_split_and_merged_reads_with_garbage()
    {
        var stream = Encoding.ASCII.GetBytes("xx#\r\n" + A1 + "##0237QN=2026" + Dust2051 + "###" + Fume2011);
        var framer = new Hj212Framer();
        var frames = new List<string>();
        foreach (var b in stream) frames.AddRange(framer.Feed([b]).Where(f => f.IsFrame).Select(f => Encoding.ASCII.GetString(f.Frame!)));
        Assert.Equal([A1, Dust2051, Fume2011], frames);
    }

    [Fact]
    public void The_framer_drops_a_frame_without_end_and_goes_on()
    {
        var framer = new Hj212Framer(maxFrameBytes: 500);
        var output = framer.Feed(Encoding.ASCII.GetBytes("##0999" + new string('x', 2000) + Dust2051));
        Assert.Equal([Dust2051], output.Where(f => f.IsFrame).Select(f => Encoding.ASCII.GetString(f.Frame!)));
        Assert.Contains(output, f => f.Problem?.Contains("no end of frame") == true);
        Assert.True(framer.Pending < 500);
    }
}
