using Iot.Contract.Signing;
using Iot.Gateway.Ota;
using Iot.Gateway.Release;

namespace Iot.Firmware.Tests.Ota;

public class Ed25519Tests
{
    // RFC 8032, section 7.1, tests 1 to 3: secret seed, public key, message, signature.
    public static TheoryData<string, string, string, string> Rfc8032 => new()
    {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
    };

    private static bool Verify(byte[] key, byte[] signature, byte[] message) => new Ed25519Verifier().Verify(key, signature, message, 0, message.Length);

    [Theory]
    [MemberData(nameof(Rfc8032))]
    public void Verifier_accepts_the_rfc_8032_vectors_and_refuses_any_change(string seed, string publicKey, string message, string signature)
    {
        byte[] key = Convert.FromHexString(publicKey), sig = Convert.FromHexString(signature), msg = Convert.FromHexString(message);
        Assert.True(Verify(key, sig, msg));

        Assert.False(Verify(key, sig, [.. msg, 0]));
        for (int i = 0; i < 64; i += 9)
        {
            var bad = (byte[])sig.Clone();
            bad[i] ^= 0x04;
            Assert.False(Verify(key, bad, msg));
        }
        var otherKey = (byte[])key.Clone();
        otherKey[3] ^= 0x01;
        Assert.False(Verify(otherKey, sig, msg));
        _ = seed;
    }

    [Theory]
    [MemberData(nameof(Rfc8032))]
    public void Release_signer_reproduces_the_rfc_8032_vectors(string seed, string publicKey, string message, string signature)
    {
        byte[] s = Convert.FromHexString(seed);
        Assert.Equal(publicKey, Convert.ToHexStringLower(Ed25519Signer.PublicKey(s)));
        Assert.Equal(signature, Convert.ToHexStringLower(Ed25519Signer.Sign(s, Convert.FromHexString(message))));
    }

    [Fact]
    public void Signatures_of_the_release_signer_verify_on_the_device_and_tampering_does_not() =>
        Prop.ForAll<byte[], byte[], int>((seedSource, message, flip) =>
        {
            byte[] seed = System.Security.Cryptography.SHA256.HashData(seedSource);
            byte[] key = Ed25519Signer.PublicKey(seed);
            byte[] sig = Ed25519Signer.Sign(seed, message);
            if (!Verify(key, sig, message)) return false;
            var bad = (byte[])sig.Clone();
            bad[Math.Abs(flip % 64)] ^= (byte)(1 << Math.Abs(flip % 8));
            return !Verify(key, bad, message);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_non_canonical_s_is_refused()
    {
        // S + L verifies in plain TweetNaCl; RFC 8032 requires S < L, so it must be refused (no malleable signatures).
        byte[] key = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        byte[] sig = Convert.FromHexString("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        var s = new System.Numerics.BigInteger(sig.AsSpan(32), isUnsigned: true);
        var l = System.Numerics.BigInteger.Pow(2, 252) + System.Numerics.BigInteger.Parse("27742317777372353535851937790883648493");
        var malleable = (byte[])sig.Clone();
        (s + l).TryWriteBytes(malleable.AsSpan(32), out _, isUnsigned: true);
        Assert.False(Verify(key, malleable, []));
    }

    [Fact]
    public void Stepping_a_little_at_a_time_gives_the_same_answer()
    {
        byte[] seed = new byte[32];
        seed[0] = 7;
        byte[] key = Ed25519Signer.PublicKey(seed);
        byte[] message = "iot-gateway-release/1\n"u8.ToArray();
        byte[] sig = Ed25519Signer.Sign(seed, message);
        var verifier = new Ed25519Verifier();

        verifier.Begin(key, sig, message, 0, message.Length);
        int steps = 1;
        while (!verifier.Step(1)) steps++;

        Assert.True(verifier.IsValid);
        Assert.InRange(steps, 500, 700); // the work is spread: no single step does more than a few dozen multiplications
        sig[40] ^= 1;
        verifier.Begin(key, sig, message, 0, message.Length);
        while (!verifier.Step(3)) { }
        Assert.False(verifier.IsValid);
    }
}
