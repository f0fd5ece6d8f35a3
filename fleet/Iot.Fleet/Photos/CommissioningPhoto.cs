using Iot.Fleet.Api;
using Iot.Fleet.Registry;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Processing;

namespace Iot.Fleet.Photos;

/// <summary>A photo of the installation, attached to its record: always a JPEG or PNG the fleet encoded itself.</summary>
public sealed record CommissioningPhoto(string ContentType, byte[] Bytes)
{
    /// <summary>Largest upload: a phone camera's JPEG fits.</summary>
    public const int MaxUploadBytes = 8 * 1024 * 1024;

    /// <summary>Largest picture decoded (a few bytes can claim millions of pixels, each costing memory).</summary>
    public const int MaxPixels = 40_000_000;

    /// <summary>Longest side kept; larger photos are scaled down (enough to read a label on the device).</summary>
    public const int MaxSide = 3000;

    /// <summary>The only types stored and served as images.</summary>
    public static readonly IReadOnlySet<string> ImageTypes = new HashSet<string> { "image/jpeg", "image/png" };

    // Only these two decoders: what they cannot read is refused, whatever the upload said it was.
    private static readonly Configuration Decoding = new(new JpegConfigurationModule(), new PngConfigurationModule())
    {
        MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = 256 }),
    };

    /// <summary>Decodes an upload as JPEG or PNG (by its content, not by what it claims to be) and encodes it again:
    /// upright, scaled to <see cref="MaxSide"/>, without EXIF (GPS, camera), ICC, IPTC, XMP or PNG text. Anything
    /// else, such as an SVG carrying script, is refused with a <see cref="RefusalException"/> that says why.</summary>
    public static CommissioningPhoto FromUpload(byte[] upload)
    {
        if (upload.Length > MaxUploadBytes) throw new RefusalException($"the photo is {upload.Length / 1024} KiB; at most {MaxUploadBytes / 1024 / 1024} MiB is taken");
        const string jpegOrPng = "the photo must be a JPEG or PNG picture";
        var format = Image.DetectFormat(Decoding, upload);
        if (format is null) throw new RefusalException($"{jpegOrPng}; this one is neither (SVG, GIF, HEIC and other formats are refused)");
        try
        {
            var info = Image.Identify(Decoding, upload, out _) ?? throw new RefusalException($"{jpegOrPng}; this one cannot be read");
            if ((long)info.Width * info.Height > MaxPixels)
                throw new RefusalException($"the photo has {info.Width}×{info.Height} pixels; at most {MaxPixels / 1_000_000} megapixels are taken");
            using var image = Image.Load(Decoding, upload);
            image.Mutate(x => x.AutoOrient());
            if (Math.Max(image.Width, image.Height) > MaxSide)
                image.Mutate(x => x.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(MaxSide, MaxSide) }));
            StripMetadata(image);
            using var output = new MemoryStream();
            if (format is PngFormat)
                image.Save(output, new PngEncoder { IgnoreMetadata = true });
            else
                image.Save(output, new JpegEncoder { Quality = 85 });
            return new CommissioningPhoto(format is PngFormat ? "image/png" : "image/jpeg", output.ToArray());
        }
        catch (Exception e) when (e is ImageFormatException or InvalidMemoryOperationException)
        {
            throw new RefusalException($"{jpegOrPng}; this one cannot be read ({e.Message})");
        }
    }

    /// <summary>`data:image/jpeg;base64,…` as a photo, re-encoded (<see cref="FromUpload"/>); the type it claims is
    /// ignored (the content decides), and anything that is not a readable JPEG or PNG is refused rather than dropped.
    /// <paramref name="field"/> names the upload in the refusal (a photo, a letter's scan).</summary>
    public static CommissioningPhoto? FromDataUrl(string? url, string field = "photo")
    {
        if (string.IsNullOrEmpty(url)) return null;
        var comma = url.IndexOf(',');
        if (!url.StartsWith("data:", StringComparison.Ordinal) || comma < 0 || !url[..comma].EndsWith(";base64", StringComparison.Ordinal))
            throw new RefusalException($"{field} must be a data URL: data:image/jpeg;base64,…");
        try
        {
            return FromUpload(Convert.FromBase64String(url[(comma + 1)..]));
        }
        catch (FormatException)
        {
            throw new RefusalException($"{field} is not valid base64");
        }
    }

    /// <summary>True when the bytes are the JPEG or PNG the content type says (false for what an older fleet stored unchecked).</summary>
    public bool IsImage => ImageTypes.Contains(ContentType) && Image.DetectFormat(Decoding, Bytes) is { } format && format.DefaultMimeType == ContentType;

    private static void StripMetadata(Image image)
    {
        image.Metadata.ExifProfile = null;
        image.Metadata.IccProfile = null;
        image.Metadata.IptcProfile = null;
        image.Metadata.GetPngMetadata().TextData.Clear();
        foreach (var frame in image.Frames)
        {
            frame.Metadata.ExifProfile = null;
            frame.Metadata.IccProfile = null;
            frame.Metadata.IptcProfile = null;
            frame.Metadata.XmpProfile = null;
        }
    }
}
