using Iot.Contract.Identity;
using Iot.Provisioning.Factory;
using Iot.Contract.Factory;

namespace Iot.Provisioning.Tests;

public sealed class IdentityTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Ids_are_prefix_and_zero_padded_serials_valid_and_unique()
    {
        var batch = FactoryBatch.Generate("NS", 123, 500, 6, Now);
        Assert.Equal("NS-000123", batch[0].Id);
        Assert.Equal("NS-000622", batch[^1].Id);
        Assert.All(batch, i => Assert.True(DeviceId.IsValid(i.Id), i.Id));
        Assert.Equal(batch.Count, batch.Select(i => i.Id).Distinct().Count());
        Assert.Equal(batch.Count, batch.Select(i => i.ClaimCode).Distinct().Count());
        Assert.All(batch, i => Assert.True(ClaimCode.IsValid(i.ClaimCode)));
    }

    [Fact]
    public void Secrets_are_unique_and_carry_256_random_bits()
    {
        var secrets = FactoryBatch.Generate("NS", 1, 1000, 6, Now).Select(i => i.BootstrapSecret).ToList();
        Assert.Equal(secrets.Count, secrets.Distinct().Count());
        foreach (var secret in secrets)
        {
            Assert.Equal(BootstrapSecret.TextLength, secret.Length);
            Assert.True(BootstrapSecret.IsWellFormed(secret));
            var bytes = Convert.FromBase64String(secret.Replace('-', '+').Replace('_', '/') + "=");
            Assert.Equal(BootstrapSecret.Bytes, bytes.Length);
        }
        Assert.True(BootstrapSecret.Bytes * 8 >= 128);
    }

    [Fact]
    public void Bootstrap_credentials_are_limited_to_the_provisioning_topics() =>
        Assert.Equal("iot/v1/NS-000001/prov/#", BootstrapSecret.TopicFilter("NS-000001"));

    [Theory]
    [InlineData("ns", "must start")]
    [InlineData("-NS", "must start")]
    [InlineData("N_S", "must start")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "too long")]
    public void Prefixes_that_cannot_make_valid_ids_are_refused(string prefix, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => FactoryBatch.Generate(prefix, 1, 1, 6, Now));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Serials_that_outgrow_the_digits_are_refused() =>
        Assert.Throws<ArgumentException>(() => FactoryBatch.Generate("NS", 999_999, 2, 6, Now));

    [Fact]
    public void Ids_of_an_earlier_list_are_not_given_out_again()
    {
        var earlier = FactoryBatch.Generate("NS", 1, 10, 6, Now);
        var e = Assert.Throws<ArgumentException>(() => FactoryBatch.Generate("NS", 5, 10, 6, Now, earlier.Select(i => i.Id).ToHashSet()));
        Assert.Contains("NS-000005", e.Message);
        Assert.Equal("NS-000011", FactoryBatch.Generate("NS", 11, 1, 6, Now, earlier.Select(i => i.Id).ToHashSet())[0].Id);
    }

    [Theory]
    [InlineData("NS-000123", true)]
    [InlineData("A1B", true)]
    [InlineData("ns-000123", false)]
    [InlineData("-NS", false)]
    [InlineData("AB", false)]
    [InlineData("NS_1", false)]
    public void Device_ids_follow_the_wire_protocol(string id, bool valid) => Assert.Equal(valid, DeviceId.IsValid(id));

    [Fact]
    public void Claim_payload_round_trips_and_carries_no_secret()
    {
        var identity = FactoryBatch.Generate("NS", 123, 1, 6, Now)[0];
        var text = identity.Label.ToString();
        Assert.Equal($"iotclaim:NS-000123?c={identity.ClaimCode}", text);
        Assert.DoesNotContain(identity.BootstrapSecret, text);
        Assert.Equal(identity.Label, ClaimPayload.Parse(text, out _));
        Assert.Equal(identity.Label, ClaimPayload.Parse($"IOTCLAIM:NS-000123?C={identity.ClaimCode.ToLowerInvariant().Replace("-", "")}", out _));
    }

    [Fact]
    public void A_label_links_to_the_installer_page_with_the_claim_code_and_the_link_reads_back()
    {
        var identity = FactoryBatch.Generate("NS", 123, 1, 6, Now)[0];
        var label = identity.LabelFor(new Uri("https://fleet.hz.example.gov.cn/some/path?x=1"));
        Assert.Equal($"https://fleet.hz.example.gov.cn/install/?d=NS-000123&c={identity.ClaimCode}", label.ToString());
        Assert.DoesNotContain(identity.BootstrapSecret, label.ToString());
        var read = ClaimPayload.Parse($"HTTPS://fleet.hz.example.gov.cn/install/?C={identity.ClaimCode.ToLowerInvariant()}&d=NS-000123", out _);
        Assert.Equal((identity.Id, identity.ClaimCode), (read!.DeviceId, read.ClaimCode));
        Assert.Null(ClaimPayload.InstallerUrlProblem(new Uri("https://fleet.example")));
        Assert.Null(ClaimPayload.InstallerUrlProblem(new Uri("http://127.0.0.1:8080")));
        Assert.Contains("https", ClaimPayload.InstallerUrlProblem(new Uri("http://fleet.example")));
    }

    [Theory]
    [InlineData("https://example.com/?c=X", "not the installer page")]
    [InlineData("https://example.com/install/?c=ABCD-EFGH-JK", "no device id")]
    [InlineData("https://example.com/install/?d=ns&c=ABCD-EFGH-JK", "bad device id")]
    [InlineData("https://example.com/install/?d=NS-000123", "no claim code")]
    [InlineData("ftp://example.com/install/?d=NS-000123&c=X", "should start")]
    [InlineData("iotclaim:NS-000123", "no claim code")]
    [InlineData("iotclaim:ns?c=ABCD", "bad device id")]
    [InlineData("iotclaim:NS-000123?x=1", "no claim code")]
    [InlineData("iotclaim:NS-000123?c=ABCD-EFGH-J0", "never contain")]
    public void Bad_payloads_say_why(string text, string reason)
    {
        Assert.Null(ClaimPayload.Parse(text, out var error));
        Assert.Contains(reason, error);
    }
}
