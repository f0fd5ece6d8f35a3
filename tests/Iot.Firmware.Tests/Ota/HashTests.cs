using System.Security.Cryptography;
using Iot.Contract.Signing;
using Iot.Gateway.Ota;

namespace Iot.Firmware.Tests.Ota;

public class HashTests
{
    // Appends data in the given piece sizes (cycled), then finishes.
    private static byte[] Sha256Of(byte[] data, int[] pieces)
    {
        var sha = new Sha256();
        Feed(data, pieces, sha.Append);
        var digest = new byte[32];
        sha.Finish(digest, 0);
        return digest;
    }

    private static byte[] Sha512Of(byte[] data, int[] pieces)
    {
        var sha = new Sha512();
        Feed(data, pieces, sha.Append);
        var digest = new byte[64];
        sha.Finish(digest, 0);
        return digest;
    }

    private static void Feed(byte[] data, int[] pieces, Action<byte[], int, int> append)
    {
        int at = 0, k = 0;
        while (at < data.Length)
        {
            int n = pieces.Length == 0 ? data.Length : Math.Min(1 + Math.Abs(pieces[k++ % pieces.Length]) % 300, data.Length - at);
            append(data, at, n);
            at += n;
        }
    }

    [Fact]
    public void Sha256_matches_dotnet_for_any_input_in_any_pieces() =>
        Prop.ForAll<byte[], int[]>((data, pieces) => Sha256Of(data, pieces).SequenceEqual(SHA256.HashData(data)))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Sha512_matches_dotnet_for_any_input_in_any_pieces() =>
        Prop.ForAll<byte[], int[]>((data, pieces) => Sha512Of(data, pieces).SequenceEqual(SHA512.HashData(data)))
            .QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(0)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(111)]
    [InlineData(112)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(100_000)]
    public void Padding_boundaries_match_dotnet(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(SHA256.HashData(data), Sha256Of(data, [7, 64, 1, 200]));
        Assert.Equal(SHA512.HashData(data), Sha512Of(data, [7, 128, 1, 200]));
    }

    [Fact]
    public void Finish_resets_for_the_next_hash()
    {
        var sha = new Sha256();
        var digest = new byte[32];
        sha.Append([1, 2, 3], 0, 3);
        sha.Finish(digest, 0);
        sha.Append("abc"u8.ToArray(), 0, 3);
        sha.Finish(digest, 0);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(digest));
    }
}
