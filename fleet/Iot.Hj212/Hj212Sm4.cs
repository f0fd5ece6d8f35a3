using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Iot.Hj212;

/// <summary>HJ 212-2025 §6.4 CP encryption: SM4 (GB/T 32907) in ECB mode without padding over the CP content, every whole
/// 16-byte block encrypted and a shorter tail left plain; written as <c>{0xE4,0x3E,…}</c> (upper-case hex bytes). Length
/// and CRC are those of the plaintext (A.2: "CRC first, then encrypt"). Reading also accepts a plain tail after the
/// closing brace (the notes' reading of A.2); writing puts every byte in the braces (as the CDP implementation does).</summary>
public sealed class Hj212Sm4Cipher : IHj212CpCipher
{
    private readonly uint[] _encryptKeys, _decryptKeys;

    /// <param name="key">16 bytes (A.2's test key is sixteen '0' characters, 0x30).</param>
    public Hj212Sm4Cipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != 16) throw new ArgumentException("an SM4 key is 16 bytes", nameof(key));
        _encryptKeys = Sm4.RoundKeys(key);
        _decryptKeys = _encryptKeys.Reverse().ToArray();
    }

    /// <summary>A key written as 32 hex digits, or as 16 characters.</summary>
    public static Hj212Sm4Cipher FromText(string key) =>
        new(key.Length == 32 && key.All(char.IsAsciiHexDigit) ? Convert.FromHexString(key) : Encoding.ASCII.GetBytes(key));

    public bool IsEncrypted(string cpOnWire) => cpOnWire.StartsWith('{') && cpOnWire.Contains("0x", StringComparison.OrdinalIgnoreCase);

    public string Decrypt(string cpOnWire)
    {
        int close = cpOnWire.IndexOf('}');
        if (close < 0) throw new FormatException("no closing '}' after the encrypted CP");
        var bytes = new List<byte>();
        foreach (var item in cpOnWire[1..close].Split(','))
        {
            var t = item.Trim();
            if (t.Length == 0) continue;
            if (!t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || !byte.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                throw new FormatException($"'{t}' is not 0xNN");
            bytes.Add(b);
        }
        var data = bytes.ToArray();
        Blocks(data, _decryptKeys);
        return Encoding.UTF8.GetString(data) + cpOnWire[(close + 1)..];
    }

    public string Encrypt(string cpPlain)
    {
        var data = Encoding.UTF8.GetBytes(cpPlain);
        Blocks(data, _encryptKeys);
        return "{" + string.Join(",", data.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture))) + "}";
    }

    /// <summary>ECB over whole blocks in place; a shorter tail stays as it is (NoPadding as A.2 describes it).</summary>
    private static void Blocks(byte[] data, uint[] keys)
    {
        for (int at = 0; at + 16 <= data.Length; at += 16) Sm4.Block(data.AsSpan(at, 16), keys);
    }
}

/// <summary>The SM4 block cipher (GB/T 32907-2016): 32 rounds on four 32-bit words; decryption is encryption with the
/// round keys reversed.</summary>
public static class Sm4
{
    private static readonly byte[] SBox = Convert.FromHexString(
        "D690E9FECCE13DB716B614C228FB2C05" + "2B679A762ABE04C3AA44132649860699" + "9C4250F491EF987A33540B43EDCFAC62" +
        "E4B31CA9C908E89580DF94FA758F3FA6" + "4707A7FCF37317BA83593C19E6854FA8" + "686B81B27164DA8BF8EB0F4B70569D35" +
        "1E240E5E6358D1A225227C3B01217887" + "D40046579FD327524C3602E7A0C4C89E" + "EABF8AD240C738B5A3F7F2CEF96115A1" +
        "E0AE5DA49B341A55AD933230F58CB1E3" + "1DF6E22E8266CA60C02923AB0D534E6F" + "D5DB3745DEFD8E2F03FF6A726D6C5B51" +
        "8D1BAF92BBDDBC7F11D95C411F105AD8" + "0AC13188A5CD7BBD2D74D012B8E5B4B0" + "8969974A0C96777E65B9F109C56EC684" +
        "18F07DEC3ADC4D2079EE5F3ED7CB3948");

    private static readonly uint[] FK = [0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC];

    /// <summary>CK[i] bytes are (4i + j) × 7 mod 256.</summary>
    private static uint Ck(int i) =>
        (uint)(((4 * i) * 7 % 256) << 24 | ((4 * i + 1) * 7 % 256) << 16 | ((4 * i + 2) * 7 % 256) << 8 | ((4 * i + 3) * 7 % 256));

    private static uint Tau(uint a) =>
        (uint)(SBox[a >> 24] << 24 | SBox[(a >> 16) & 0xFF] << 16 | SBox[(a >> 8) & 0xFF] << 8 | SBox[a & 0xFF]);

    private static uint T(uint x)
    {
        var b = Tau(x);
        return b ^ uint.RotateLeft(b, 2) ^ uint.RotateLeft(b, 10) ^ uint.RotateLeft(b, 18) ^ uint.RotateLeft(b, 24);
    }

    private static uint TKey(uint x)
    {
        var b = Tau(x);
        return b ^ uint.RotateLeft(b, 13) ^ uint.RotateLeft(b, 23);
    }

    public static uint[] RoundKeys(ReadOnlySpan<byte> key)
    {
        Span<uint> k = stackalloc uint[4];
        for (int i = 0; i < 4; i++) k[i] = BinaryPrimitives.ReadUInt32BigEndian(key[(4 * i)..]) ^ FK[i];
        var rk = new uint[32];
        for (int i = 0; i < 32; i++)
        {
            var next = k[0] ^ TKey(k[1] ^ k[2] ^ k[3] ^ Ck(i));
            (k[0], k[1], k[2], k[3]) = (k[1], k[2], k[3], next);
            rk[i] = next;
        }
        return rk;
    }

    /// <summary>One 16-byte block in place under the given round keys.</summary>
    public static void Block(Span<byte> block, uint[] roundKeys)
    {
        uint x0 = BinaryPrimitives.ReadUInt32BigEndian(block), x1 = BinaryPrimitives.ReadUInt32BigEndian(block[4..]),
             x2 = BinaryPrimitives.ReadUInt32BigEndian(block[8..]), x3 = BinaryPrimitives.ReadUInt32BigEndian(block[12..]);
        for (int i = 0; i < 32; i++)
        {
            var next = x0 ^ T(x1 ^ x2 ^ x3 ^ roundKeys[i]);
            (x0, x1, x2, x3) = (x1, x2, x3, next);
        }
        BinaryPrimitives.WriteUInt32BigEndian(block, x3);
        BinaryPrimitives.WriteUInt32BigEndian(block[4..], x2);
        BinaryPrimitives.WriteUInt32BigEndian(block[8..], x1);
        BinaryPrimitives.WriteUInt32BigEndian(block[12..], x0);
    }
}
