using System.Text;
using Iot.Gateway.Onboarding;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>The Wi-Fi form: application/x-www-form-urlencoded decoded strictly, with 802.11's and WPA2's limits.</summary>
public class WifiFormTests
{
    private static WifiForm? Parse(string body, out string? problem)
    {
        var bytes = Encoding.ASCII.GetBytes(body);
        return WifiForm.Parse(bytes, bytes.Length, out problem);
    }

    [Theory]
    [InlineData("ssid=site-router&password=mysecurepassword", "site-router", "mysecurepassword")]
    [InlineData("password=mysecurepassword&ssid=site-router", "site-router", "mysecurepassword")]
    [InlineData("ssid=My+Cafe&password=", "My Cafe", "")]
    [InlineData("ssid=open", "open", "")]
    [InlineData("ssid=%E5%BA%97%E9%93%BA-5G&password=a%26b%3Dc%2Bd%25e", "店铺-5G", "a&b=c+d%e")]
    [InlineData("ssid=a&&password=12345678&submit=", "a", "12345678")]
    [InlineData("ssid=%f0%9f%93%b6&password=0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef", "📶", "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef")]
    public void Decodes_the_form(string body, string ssid, string password)
    {
        var form = Parse(body, out var problem);
        Assert.Null(problem);
        Assert.NotNull(form);
        Assert.Equal(ssid, form!.Ssid);
        Assert.Equal(password, form.Password);
    }

    [Theory]
    [InlineData("ssid=a%G1&password=", "encoding")]
    [InlineData("ssid=a%4&password=", "encoding")]
    [InlineData("ssid=a%", "encoding")]
    [InlineData("ssid=%FF", "UTF-8")]
    [InlineData("ssid=%C0%AF", "UTF-8")]              // overlong "/"
    [InlineData("ssid=%ED%A0%80", "UTF-8")]           // a UTF-16 surrogate
    [InlineData("ssid=%E5%BA", "UTF-8")]              // truncated sequence
    [InlineData("ssid=a&ssid=b", "twice")]
    [InlineData("ssid=a&password=12345678&password=87654321", "twice")]
    [InlineData("password=12345678", "SSID")]
    [InlineData("ssid=&password=12345678", "SSID")]
    [InlineData("", "SSID")]
    [InlineData("ssid=123456789012345678901234567890123", "32 bytes")]
    [InlineData("ssid=%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97%E5%BA%97", "32 bytes")] // 11 × 3 bytes
    [InlineData("ssid=a%0Ab", "control")]
    [InlineData("ssid=a%00", "control")]
    [InlineData("ssid=a&password=short", "8 to 63")]
    [InlineData("ssid=a&password=%E5%AF%86%E7%A0%81%E5%AF%86%E7%A0%81%E5%AF%86", "8 to 63")]
    [InlineData("ssid=a&password=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", "8 to 63")]
    [InlineData("ssid=a&a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8", "too many")]
    public void Refuses_bad_forms_with_a_message(string body, string says)
    {
        Assert.Null(Parse(body, out var problem));
        Assert.Contains(says, problem);
        Assert.Contains(" / ", problem);
    }

    [Fact]
    public void A_32_byte_ssid_and_a_63_character_passphrase_fit()
    {
        var form = Parse("ssid=" + new string('s', 32) + "&password=" + new string('p', 63), out _);
        Assert.NotNull(form);
    }

    private const string Alphabet = "ssid=&%+pw0aF9\u00ff";

    [Fact]
    public void Random_bodies_never_throw()
    {
        var random = new Random(2131);
        for (int run = 0; run < 5000; run++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (run % 2 == 0) for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)Alphabet[bytes[i] % Alphabet.Length];
            var form = WifiForm.Parse(bytes, bytes.Length, out var problem);
            Assert.True(form is null != (problem is null));
        }
    }
}
