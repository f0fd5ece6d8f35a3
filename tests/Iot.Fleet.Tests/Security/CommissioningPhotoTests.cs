using System.Net;
using System.Net.Http.Json;
using System.Text;
using Iot.Fleet.Api;
using Iot.Fleet.Commissioning;
using Iot.Fleet.Photos;
using Iot.Fleet.Registry;
using Iot.Fleet.Tests.People;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Dapper;

namespace Iot.Fleet.Tests.Security;

/// <summary>A commissioning photo is a JPEG or PNG the fleet decoded and encoded again, without metadata and within
/// its size limits; anything else is refused with a 400 that says why, and nothing stored is ever served as a page.</summary>
public sealed class CommissioningPhotoTests(FleetApp fleet) : IClassFixture<FleetApp>
{
    private const string ScriptSvg = """<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>""";

    [Fact]
    public void A_JPEG_is_encoded_again_without_its_EXIF_and_upright()
    {
        using var original = new Image<Rgb24>(40, 20, new Rgb24(200, 30, 30));
        original.Metadata.ExifProfile = new ExifProfile();
        original.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6); // taken with the phone turned
        original.Metadata.ExifProfile.SetValue(ExifTag.Artist, "GPS-AND-NAME-OF-THE-INSTALLER");
        var upload = Encode(original, new JpegEncoder());
        Assert.Contains("GPS-AND-NAME", Encoding.Latin1.GetString(upload));

        var photo = CommissioningPhoto.FromUpload(upload);

        Assert.Equal("image/jpeg", photo.ContentType);
        Assert.DoesNotContain("GPS-AND-NAME", Encoding.Latin1.GetString(photo.Bytes));
        using var stored = Image.Load<Rgb24>(photo.Bytes);
        Assert.Null(stored.Metadata.ExifProfile);
        Assert.Equal((20, 40), (stored.Width, stored.Height));
        Assert.True(photo.IsImage);
    }

    [Fact]
    public void A_PNG_stays_a_PNG_without_its_text()
    {
        using var original = new Image<Rgba32>(16, 16, new Rgba32(0, 128, 0, 255));
        var upload = Encode(original, new PngEncoder());
        upload = WithTextChunk(upload, "Comment", "<script>alert(1)</script>");
        Assert.Contains("<script>", Encoding.Latin1.GetString(upload));

        var photo = CommissioningPhoto.FromUpload(upload);

        Assert.Equal("image/png", photo.ContentType);
        Assert.DoesNotContain("<script>", Encoding.Latin1.GetString(photo.Bytes));
        using var stored = Image.Load<Rgba32>(photo.Bytes);
        Assert.Equal(new Rgba32(0, 128, 0, 255), stored[8, 8]);
    }

    [Fact]
    public void A_large_photo_is_scaled_down_to_the_longest_side_kept()
    {
        using var original = new Image<Rgb24>(4000, 3000);
        var photo = CommissioningPhoto.FromUpload(Encode(original, new JpegEncoder()));

        using var stored = Image.Load<Rgb24>(photo.Bytes);
        Assert.Equal((CommissioningPhoto.MaxSide, 2250), (stored.Width, stored.Height));
    }

    [Theory]
    [InlineData("svg")]
    [InlineData("html")]
    [InlineData("gif")]
    [InlineData("truncated png")]
    public void Anything_but_a_readable_JPEG_or_PNG_is_refused(string what)
    {
        var upload = what switch
        {
            "svg" => Encoding.UTF8.GetBytes(ScriptSvg),
            "html" => Encoding.UTF8.GetBytes("<html><body><script>alert(1)</script></body></html>"),
            "gif" => Encoding.ASCII.GetBytes("GIF89a\x01\0\x01\0\0\0\0;"),
            _ => Convert.FromBase64String("iVBORw0KGgo="),
        };

        var refused = Assert.Throws<RefusalException>(() => CommissioningPhoto.FromUpload(upload));
        Assert.Contains("JPEG or PNG", refused.Message);
    }

    [Fact]
    public void A_picture_of_too_many_pixels_is_refused_before_it_is_decoded()
    {
        using var huge = new Image<L8>(6400, 6400); // 41 megapixels, a few KiB as PNG
        var upload = Encode(huge, new PngEncoder());
        Assert.True(upload.Length < 1024 * 1024);

        var refused = Assert.Throws<RefusalException>(() => CommissioningPhoto.FromUpload(upload));
        Assert.Contains("megapixels", refused.Message);
    }

    [Fact]
    public void An_upload_over_the_byte_limit_is_refused()
    {
        var refused = Assert.Throws<RefusalException>(() => CommissioningPhoto.FromUpload(new byte[CommissioningPhoto.MaxUploadBytes + 1]));
        Assert.Contains("MiB", refused.Message);
    }

    [Fact]
    public async Task The_API_refuses_an_SVG_with_script_with_a_400_that_says_why_even_when_it_claims_to_be_a_JPEG()
    {
        using var admin = fleet.WithAdminToken();
        foreach (var type in new[] { "image/svg+xml", "image/jpeg" })
        {
            var answer = await admin.PostAsJsonAsync("/api/devices/GW-ANY-1/commissioning",
                new { note = "x", photo = $"data:{type};base64,{Convert.ToBase64String(Encoding.UTF8.GetBytes(ScriptSvg))}" });

            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Contains("JPEG or PNG", (string)(await FleetApp.Body(answer))["detail"]!);
        }
    }

    [Fact]
    public async Task A_photo_an_older_fleet_stored_unchecked_is_served_as_a_download_never_as_a_page()
    {
        var site = FleetApp.SiteId();
        using var admin = fleet.WithAdminToken();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/sites", new { id = site, name = "Old photos", kind = "fume" })).StatusCode);
        var svg = Insert(site, Encoding.UTF8.GetBytes(ScriptSvg), "image/svg+xml");
        var lying = Insert(site, Encoding.UTF8.GetBytes(ScriptSvg), "image/jpeg");
        using var png = new Image<Rgba32>(2, 2);
        var real = Insert(site, Encode(png, new PngEncoder()), "image/png");

        foreach (var id in new[] { svg, lying })
        {
            var answer = await admin.GetAsync($"/api/commissioning/{id}/photo");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("application/octet-stream", answer.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment", answer.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
        }
        var image = await admin.GetAsync($"/api/commissioning/{real}/photo");
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        Assert.Null(image.Content.Headers.ContentDisposition);
        Assert.Equal("nosniff", image.Headers.GetValues("X-Content-Type-Options").Single());
    }

    private long Insert(string site, byte[] photo, string type)
    {
        using var db = fleet.Database();
        return db.ExecuteScalar<long>("""
            INSERT INTO commissioning (site, passed, method, results, signed_by, signed_at, valid_from, photo, photo_type)
            VALUES (@site, 1, 'admin-record', '[]', 'test', 0, 0, @photo, @type) RETURNING id
            """, new { site, photo, type });
    }

    private static byte[] Encode(Image image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>Inserts a tEXt chunk after IHDR (PNG signature 8 bytes, IHDR 25 bytes).</summary>
    private static byte[] WithTextChunk(byte[] png, string keyword, string text)
    {
        var data = Encoding.Latin1.GetBytes($"{keyword}\0{text}");
        var type = "tEXt"u8.ToArray();
        var chunk = new List<byte>();
        chunk.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(data.Length)));
        chunk.AddRange(type);
        chunk.AddRange(data);
        var crc = Crc32([.. type, .. data]);
        chunk.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(crc)));
        return [.. png[..33], .. chunk, .. png[33..]];
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
