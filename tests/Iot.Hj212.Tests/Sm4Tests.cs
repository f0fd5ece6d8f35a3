namespace Iot.Hj212.Tests;

public class Sm4Tests
{
    [Fact]
    public void The_standards_example_block()
    {
        // GB/T 32907-2016 Appendix A.1: key = plaintext = 0123456789ABCDEFFEDCBA9876543210.
        var key = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");
        var block = key.ToArray();
        var keys = Sm4.RoundKeys(key);
        Sm4.Block(block, keys);
        Assert.Equal("681EDF34D206965E86B3E94F536E4246", Convert.ToHexString(block));
        Sm4.Block(block, keys.Reverse().ToArray());
        Assert.Equal(key, block);
    }

    [Fact]
    public void The_standards_million_round_example()
    {
        // GB/T 32907-2016 Appendix A.2: the same key encrypts its own output 1,000,000 times. One wrong bit in the S-box,
        // the key schedule or a round shows here where a single block might hide it.
        var key = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");
        var block = key.ToArray();
        var keys = Sm4.RoundKeys(key);
        for (int i = 0; i < 1_000_000; i++) Sm4.Block(block, keys);
        Assert.Equal("595298C7C6FD271F0402F804C33D3F66", Convert.ToHexString(block));
    }

    [Fact]
    public void An_encrypted_cp_is_read_with_the_key_and_checked_on_the_plaintext()
    {
        var cipher = Hj212Sm4Cipher.FromText(new string('0', 16));
        var plain = Hj212Parser.Parse(CodecTests.Dust2051).Packet!;
        var onWire = plain.Segment.Replace(plain.Cp.Text, cipher.Encrypt(plain.Cp.Text));
        // Length and CRC are the plaintext's (§6.4 / A.2): the frame on the wire keeps them.
        var frame = CodecTests.Dust2051[..6] + onWire + CodecTests.Dust2051[^6..];
        Assert.StartsWith("{0x", onWire[(onWire.IndexOf("CP=&&") + 5)..]);

        var read = Hj212Parser.Parse(frame, Hj212Dialect.Default with { CpCipher = cipher });
        Assert.True(read.Ok, read.Problem?.Reason);
        Assert.Equal(plain.Cp.Fields, read.Packet!.Cp.Fields);
        var withoutKey = Hj212Parser.Parse(frame);
        Assert.Contains("SM4", withoutKey.Problem!.Reason);
        var wrongKey = Hj212Parser.Parse(frame, Hj212Dialect.Default with { CpCipher = Hj212Sm4Cipher.FromText(new string('1', 16)) });
        Assert.False(wrongKey.Ok);
    }

    [Fact]
    public void A_plain_tail_after_the_braces_is_kept()
    {
        var cipher = Hj212Sm4Cipher.FromText(new string('0', 16));
        var text = "DataTime=20260315103000;a34002-Avg=0.1";
        var all = cipher.Encrypt(text);
        var blocks = all[..(all.Split(',').Take(32).Sum(s => s.Length + 1) - 1)] + "}";
        Assert.Equal(text, cipher.Decrypt(blocks + text[32..]));
        Assert.Equal(text, cipher.Decrypt(all));
    }
}

public class EncryptedFrameTests
{
    [Fact]
    public void Frames_built_in_an_encrypting_dialect_parse_back_with_the_same_key()
    {
        var dialect = Hj212Dialect.Default with { CpCipher = Hj212Sm4Cipher.FromText("0123456789ABCDEFFEDCBA9876543210") };
        var now = DateTimeOffset.UtcNow;
        var fetch = Hj212Builder.HistoryRequest(Hj212Commands.MinuteData, "0A1B2C3D4E5F000000000001", "123456", "22", now.AddHours(-1), now, now, dialect);
        var frame = Hj212Builder.Frame(fetch, dialect);
        Assert.Contains("CP=&&{0x", frame);
        var back = Hj212Parser.Parse(frame, dialect);
        Assert.True(back.Ok, back.Problem?.Reason);
        Assert.Equal(fetch.Cp.Fields, back.Packet!.Cp.Fields);
    }
}
