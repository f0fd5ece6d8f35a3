using System.Text;
using System.Text.Json;
using Iot.Firmware.Tests.Fakes;
using Iot.Gateway.Configuration;
using Iot.Gateway.Provisioning;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;

namespace Iot.Firmware.Tests.Provisioning;

/// <summary>The gateway's side of the claim flow (Provisioning/ClaimExchange) inside the runtime.</summary>
public class ClaimTests
{
    private const long T0 = 1_795_000_020; // a minute boundary
    private const string Dev = "NS-0001";
    private const string Secret = "bootstrap-secret-0123456789abcdefghijklmnopq";
    private const string OwnPassword = "own-password-xyz";
    private const string Prov = $"iot/v1/{Dev}/prov/";

    private readonly FakeClock _clock = new() { UtcSeconds = T0 };
    private readonly FakeMqttLink _mqtt = new()
    {
        IsConnected = false,
        Accounts = new() { ["boot-" + Dev] = Secret, [Dev] = OwnPassword },
    };
    private readonly FakeModbusMeter _meter = new() { NoiseLevel = 65.0 };
    private readonly LittleFsModel _journalFiles = new();
    private readonly FakeFlash _configFlash = new(8 * 1024);
    private readonly FakeFlash _bootFlash = new(8 * 1024);
    private readonly FakeFlash _credentialFlash = new(8 * 1024);
    private int _acked;

    private GatewayRuntime Boot(string? bootstrapSecret = Secret, string? userName = null, string? password = null) =>
        new(new GatewayHardware
        {
            Clock = _clock, Mqtt = _mqtt, Inbox = _mqtt, Sensors = new BoardSensors(_clock, _meter, null),
            JournalFiles = _journalFiles, ConfigFlash = _configFlash, BootFlash = _bootFlash, CredentialFlash = _credentialFlash,
        }, new GatewayRuntimeOptions
        {
            DeviceId = Dev, Firmware = "1.4.2", WarmUpSeconds = 0, BootstrapSecret = bootstrapSecret, UserName = userName, Password = password,
            ReconnectBaseMs = 1000, ReconnectCapMs = 4000, UplinkBatch = 5,
        });

    private void Run(GatewayRuntime gateway, int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            gateway.Tick();
            for (; _acked < _mqtt.Published.Count; _acked++) _mqtt.Acknowledge(_mqtt.Published[_acked].Id);
            _clock.UtcSeconds++;
            _clock.MonotonicMs += 1000;
        }
    }

    private static string Credentials(string dev, string user, string password) =>
        JsonSerializer.Serialize(new { v = 1, dev, user, password });

    private List<string> Topics() => _mqtt.Published.Select(p => p.Topic).ToList();

    [Fact]
    public void Unclaimed_gateway_logs_in_as_bootstrap_without_will_and_says_hello_after_connecting_and_every_30_s()
    {
        var gateway = Boot();
        Assert.Equal(LoginKind.Bootstrap, gateway.Login);
        Run(gateway, 95);

        Assert.Equal(("boot-" + Dev, Secret, false), _mqtt.Connects[0]);
        Assert.Equal([Prov + "credentials"], _mqtt.Subscriptions);
        var hellos = _mqtt.Published.Where(p => p.Topic == Prov + "hello").ToList();
        Assert.Equal(4, hellos.Count); // at 0, 30, 60 and 90 s
        Assert.All(hellos, h => Assert.False(h.Retain));
        Assert.Equal("""{"v":1,"dev":"NS-0001","fw":"1.4.2"}""", hellos[0].Payload);
    }

    [Fact]
    public void Nothing_but_the_provisioning_topics_is_used_while_unclaimed_and_records_are_kept()
    {
        var gateway = Boot();
        Run(gateway, 3 * 60 + 2);

        Assert.All(_mqtt.Subscriptions, t => Assert.StartsWith(Prov, t));
        Assert.All(Topics(), t => Assert.StartsWith(Prov, t));
        Assert.All(_mqtt.Connects, c => Assert.False(c.Will));
        Assert.Equal(3, gateway.RecordsWritten);
        Assert.Equal(3, gateway.Buffered);
    }

    [Fact]
    public void Credentials_for_another_device_or_malformed_are_ignored()
    {
        var gateway = Boot();
        Run(gateway, 5);
        _mqtt.Deliver(Prov + "credentials", Credentials("NS-0002", "NS-0002", "x-password"));
        _mqtt.Deliver(Prov + "credentials", "{not json");
        _mqtt.Deliver(Prov + "credentials", """{"v":2,"dev":"NS-0001","user":"NS-0001","password":"p"}""");
        _mqtt.Deliver(Prov + "credentials", """{"v":1,"dev":"NS-0001","user":"NS-0001"}""");
        Run(gateway, 40);

        Assert.Equal(LoginKind.Bootstrap, gateway.Login);
        Assert.Single(_mqtt.Connects);
        Assert.Equal(2, _mqtt.Published.Count(p => p.Topic == Prov + "hello"));
        Assert.False(new CredentialStore(_credentialFlash).TryLoad(Dev, out _, out _));
    }

    [Fact]
    public void Credentials_are_stored_then_used_to_reconnect_and_the_records_measured_meanwhile_are_sent()
    {
        var gateway = Boot();
        Run(gateway, 2 * 60 + 5);
        Assert.Equal(2, gateway.Buffered);
        int publishedUnclaimed = _mqtt.Published.Count;

        _mqtt.Deliver(Prov + "credentials", Credentials(Dev, Dev, OwnPassword));
        Run(gateway, 3);

        Assert.Equal(LoginKind.Claimed, gateway.Login);
        Assert.Equal(1, _mqtt.Disconnects);
        Assert.Equal((Dev, OwnPassword, true), _mqtt.Connects[^1]);
        Assert.True(new CredentialStore(_credentialFlash).TryLoad(Dev, out var user, out var password));
        Assert.Equal((Dev, OwnPassword), (user, password));

        var after = _mqtt.Published.Skip(publishedUnclaimed).ToList();
        Assert.DoesNotContain(after, p => p.Topic.StartsWith(Prov, StringComparison.Ordinal));
        Assert.Contains(after, p => p.Topic == $"iot/v1/{Dev}/status" && p.Retain && p.Payload.Contains("\"online\":true"));
        Assert.Contains($"iot/v1/{Dev}/config", _mqtt.Subscriptions);
        var seqs = after.Where(p => p.Topic == $"iot/v1/{Dev}/telemetry")
            .SelectMany(p => JsonDocument.Parse(p.Payload).RootElement.GetProperty("recs").EnumerateArray())
            .Select(r => r.GetProperty("seq").GetUInt32()).Distinct().ToList();
        Assert.Equal([1u, 2u], seqs);
        Assert.Equal(0, gateway.Buffered);
        Assert.Contains(after, p => p.Topic == $"iot/v1/{Dev}/event" && p.Payload.Contains("\"type\":\"boot\""));
    }

    [Fact]
    public void After_a_reboot_the_stored_credentials_are_used_from_the_first_connect()
    {
        var first = Boot();
        Run(first, 3);
        _mqtt.Deliver(Prov + "credentials", Credentials(Dev, Dev, OwnPassword));
        Run(first, 3);

        _mqtt.Disconnect();
        _mqtt.Connects.Clear();
        var second = Boot();
        Assert.Equal(LoginKind.Claimed, second.Login);
        Run(second, 3);
        Assert.Equal([(Dev, OwnPassword, true)], _mqtt.Connects);
    }

    [Fact]
    public void A_power_cut_while_storing_the_credentials_leaves_the_gateway_unclaimed_and_it_asks_again()
    {
        var gateway = Boot();
        Run(gateway, 3);
        _mqtt.Deliver(Prov + "credentials", Credentials(Dev, Dev, OwnPassword));
        _credentialFlash.WriteBudget = 30; // the header and part of the document reach the flash
        gateway.Tick(); // the power cut: this tick fails (the loop survives it, a real device would be off)
        Assert.Equal(1, gateway.FailedTicks);
        _credentialFlash.WriteBudget = null;

        _mqtt.Disconnect();
        _mqtt.Connects.Clear();
        var rebooted = Boot();
        Assert.Equal(LoginKind.Bootstrap, rebooted.Login);
        Run(rebooted, 2);
        Assert.Equal(("boot-" + Dev, Secret, false), _mqtt.Connects[0]);
        Assert.Equal(Prov + "hello", _mqtt.Published[^1].Topic);
    }

    [Fact]
    public void A_torn_write_of_new_credentials_keeps_the_previous_ones()
    {
        var store = new CredentialStore(_credentialFlash);
        store.Save(Dev, Dev, "first-password");
        _credentialFlash.WriteBudget = 25;
        Assert.Throws<PowerLossException>(() => new CredentialStore(_credentialFlash).Save(Dev, Dev, "second-password"));
        _credentialFlash.WriteBudget = null;

        Assert.True(new CredentialStore(_credentialFlash).TryLoad(Dev, out _, out var password));
        Assert.Equal("first-password", password);
        Assert.False(new CredentialStore(_credentialFlash).TryLoad("NS-0002", out _, out _)); // another device's image
    }

    [Fact]
    public void Refused_stored_credentials_are_retried_with_backoff_and_counted_never_replaced_by_bootstrap()
    {
        new CredentialStore(_credentialFlash).Save(Dev, Dev, "revoked-password");
        var gateway = Boot();
        Assert.Equal(LoginKind.Claimed, gateway.Login);
        Run(gateway, 30);

        Assert.True(gateway.LoginRefusals >= 3, $"refusals: {gateway.LoginRefusals}");
        Assert.InRange(_mqtt.Connects.Count, 3, 15); // backoff, not once per second
        Assert.All(_mqtt.Connects, c => Assert.Equal((Dev, "revoked-password", true), c));
        Assert.Empty(_mqtt.Published);

        _mqtt.Accounts![Dev] = "revoked-password"; // the fleet fixed the account
        Run(gateway, 10);
        Assert.Equal(0, gateway.LoginRefusals);
        Assert.True(_mqtt.IsConnected);
    }

    [Fact]
    public void Configured_credentials_of_a_directly_registered_gateway_skip_the_claim_flow()
    {
        var gateway = Boot(bootstrapSecret: Secret, userName: Dev, password: OwnPassword);
        Assert.Equal(LoginKind.Configured, gateway.Login);
        Run(gateway, 65);

        Assert.Equal((Dev, OwnPassword, true), _mqtt.Connects[0]);
        Assert.DoesNotContain(Topics(), t => t.StartsWith(Prov, StringComparison.Ordinal));
        Assert.Contains($"iot/v1/{Dev}/telemetry", Topics());
    }
}
