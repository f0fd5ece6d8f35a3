namespace Iot.Hj212;

/// <summary>What differs between platforms and generations ("L" in the notes, or sources that disagree). One per platform.</summary>
public sealed record Hj212Dialect
{
    public static readonly Hj212Dialect Default = new();

    /// <summary>Offset of DataTime/QN/SystemTime (Beijing time).</summary>
    public TimeSpan TimeOffset { get; init; } = Hj212Time.ChinaOffset;
    /// <summary>Largest data segment accepted (the standard says 1024; devices send up to 1623).</summary>
    public int MaxSegment { get; init; } = Hj212Frame.MaxSegment;
    /// <summary>2005 senders leave out QN and Flag; a strict platform may refuse them.</summary>
    public bool RequireQn { get; init; }
    public bool RequireFlag { get; init; }
    /// <summary>MN length: 24 in the standard, 14-16 in the field.</summary>
    public int MinMnLength { get; init; } = 14;
    public int MaxMnLength { get; init; } = 24;
    /// <summary>Version bits of frames the platform sends; null = answer in the version of the frame answered.</summary>
    public Hj212Version? ReplyVersion { get; init; }
    /// <summary>Version of commands the platform starts (2051 history, 1011/1012).</summary>
    public Hj212Version CommandVersion { get; init; } = Hj212Version.V2017;
    /// <summary>Whether replies carry PW (most platforms echo it).</summary>
    public bool ReplyWithPassword { get; init; } = true;
    /// <summary>How the CP contents of split parts are joined (the standard does not say; ';' keeps groups apart).</summary>
    public string SplitJoin { get; init; } = ";";
    /// <summary>2025 §6.4 SM4 on the CP (<see cref="Hj212Sm4Cipher"/>): null = encrypted CPs are refused with a clear reason.</summary>
    public IHj212CpCipher? CpCipher { get; init; }
}

/// <summary>2025 §6.4 CP encryption (SM4-ECB, 16-byte key, NoPadding, whole 16-char blocks only, the rest plain; length and
/// CRC are on the plaintext). <see cref="Hj212Sm4Cipher"/> is the standard's; another platform's scheme plugs in here.</summary>
public interface IHj212CpCipher
{
    /// <summary>True when the CP content as received is ciphertext (e.g. starts with '{').</summary>
    bool IsEncrypted(string cpOnWire);
    string Decrypt(string cpOnWire);
    string Encrypt(string cpPlain);
}
