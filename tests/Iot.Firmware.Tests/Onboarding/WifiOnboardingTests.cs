using System.Text;
using Iot.Gateway.Onboarding;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>When the hotspot opens and closes, and how a submitted network is tried, with a fake Wi-Fi station.</summary>
public class WifiOnboardingTests
{
    private readonly FakeWifiStation _wifi = new();
    private readonly WifiOnboarding _onboarding;

    public WifiOnboardingTests() => _onboarding = new WifiOnboarding(_wifi);

    private static WifiForm Form(string ssid, string password)
    {
        var body = Encoding.UTF8.GetBytes("ssid=" + Uri.EscapeDataString(ssid) + "&password=" + Uri.EscapeDataString(password));
        return WifiForm.Parse(body, body.Length, out _)!;
    }

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    public void Opens_at_boot_without_a_network_or_with_the_button(bool configured, bool button, bool opens) =>
        Assert.Equal(opens, WifiOnboarding.ShouldOpenAtBoot(configured, button));

    [Theory]
    [InlineData(false, false, false, false, WifiOnboarding.BootKeepClosed)]     // no ap_password: never
    [InlineData(false, true, true, true, WifiOnboarding.BootCloseAndReboot)]   // ... and an open one is closed
    [InlineData(true, false, false, false, WifiOnboarding.BootOpenAndReboot)]  // factory-fresh: open it
    [InlineData(true, false, true, true, WifiOnboarding.BootOpenAndReboot)]    // button held at power-up
    [InlineData(true, false, true, false, WifiOnboarding.BootKeepClosed)]      // a normal boot
    [InlineData(true, true, false, false, WifiOnboarding.BootServe)]
    [InlineData(true, true, true, true, WifiOnboarding.BootServe)]             // held again while open: no second reboot
    public void Decides_at_boot_without_reboot_loops(bool allowed, bool on, bool configured, bool button, int expected)
    {
        Assert.Equal(expected, WifiOnboarding.AtBoot(allowed, on, configured, button));
        // The boot after a requested reboot (the saved state flipped, the button released) never asks for another one.
        if (expected == WifiOnboarding.BootOpenAndReboot) Assert.Equal(WifiOnboarding.BootServe, WifiOnboarding.AtBoot(allowed, true, configured, false));
        if (expected == WifiOnboarding.BootCloseAndReboot) Assert.Equal(WifiOnboarding.BootKeepClosed, WifiOnboarding.AtBoot(allowed, false, configured, false));
    }

    [Fact]
    public void A_hotspot_found_open_without_a_network_was_opened_for_that()
    {
        Assert.Equal(WifiOnboarding.OpenedUnconfigured, WifiOnboarding.ReasonAtBoot(false));
        Assert.Equal(WifiOnboarding.OpenedByButton, WifiOnboarding.ReasonAtBoot(true));
    }

    [Theory]
    [InlineData("NS-0001", "IOT-NS-0001")]
    [InlineData("FUME-SHANGHAI-000123", "IOT-I-000123")]
    [InlineData("AB-CD-1234567", "IOT-1234567")]
    [InlineData("DUST-12345678", "IOT-12345678")]
    [InlineData("ABC", "IOT-ABC")]
    public void Names_the_hotspot_after_the_device(string id, string ssid)
    {
        Assert.Equal(ssid, WifiOnboarding.AccessPointSsid(id));
        Assert.True(ssid.Length <= 32);
    }

    [Theory]
    [InlineData("k7Qm-29xP", true)]
    [InlineData("12345678", true)]
    [InlineData("1234567", false)]
    [InlineData("has space1", false)]
    [InlineData("密码密码密码密码", false)]
    [InlineData(null, false)]
    public void Accepts_only_WPA2_passwords_for_the_hotspot(string? password, bool valid) =>
        Assert.Equal(valid, WifiOnboarding.IsValidAccessPointPassword(password));

    [Fact]
    public void Joins_a_submitted_network_then_closes_after_the_result_was_shown()
    {
        _onboarding.Open(WifiOnboarding.OpenedUnconfigured, 0);
        Assert.Equal(WifiOnboarding.Waiting, _onboarding.State);
        Assert.True(_onboarding.Submit(Form("site-router", "mysecurepassword"), 1000));
        Assert.Equal(WifiOnboarding.Joining, _onboarding.State);
        Assert.False(_onboarding.Submit(Form("other", "mysecurepassword"), 1100)); // one at a time

        _onboarding.Tick(2000);
        Assert.Equal(("site-router", "mysecurepassword", WifiOnboarding.JoinTimeoutMs), Assert.Single(_wifi.Joins));
        Assert.Equal(WifiOnboarding.Joined, _onboarding.State);
        Assert.False(_onboarding.LastJoinFailed);

        _onboarding.Tick(32_000); // the join blocked; the countdown starts now
        Assert.False(_onboarding.CloseRequested);
        _onboarding.Tick(32_000 + WifiOnboarding.CloseAfterJoinMs - 1);
        Assert.False(_onboarding.CloseRequested);
        _onboarding.Tick(32_000 + WifiOnboarding.CloseAfterJoinMs);
        Assert.True(_onboarding.CloseRequested);
        _onboarding.Close();
        Assert.Equal(WifiOnboarding.Closed, _onboarding.State);
        Assert.False(_onboarding.Submit(Form("site-router", "mysecurepassword"), 200_000));
    }

    [Fact]
    public void A_wrong_password_reports_failure_and_waits_for_another_try()
    {
        _onboarding.Open(WifiOnboarding.OpenedUnconfigured, 0);
        _onboarding.Submit(Form("site-router", "wrongpassword"), 10);
        _onboarding.Tick(20);
        Assert.Equal(WifiOnboarding.Waiting, _onboarding.State);
        Assert.True(_onboarding.LastJoinFailed);
        Assert.Equal("site-router", _onboarding.Network);

        _wifi.Throws = true;
        _onboarding.Submit(Form("site-router", "mysecurepassword"), 30);
        _onboarding.Tick(40);
        Assert.True(_onboarding.LastJoinFailed);

        _wifi.Throws = false;
        _onboarding.Submit(Form("site-router", "mysecurepassword"), 50);
        _onboarding.Tick(60);
        Assert.Equal(WifiOnboarding.Joined, _onboarding.State);
        Assert.Equal(3, _onboarding.Attempts);
    }

    [Fact]
    public void Without_a_network_the_hotspot_never_closes_by_itself()
    {
        _onboarding.Open(WifiOnboarding.OpenedUnconfigured, 0);
        _onboarding.Tick(24L * 3600 * 1000);
        Assert.False(_onboarding.CloseRequested);
        Assert.Empty(_wifi.Joins);
    }

    [Fact]
    public void A_button_opened_hotspot_closes_when_idle_and_requests_keep_it_open()
    {
        _onboarding.Open(WifiOnboarding.OpenedByButton, 0);
        _onboarding.Touch(WifiOnboarding.IdleCloseMs - 1000);
        _onboarding.Tick(WifiOnboarding.IdleCloseMs);
        Assert.False(_onboarding.CloseRequested);
        _onboarding.Tick(2L * WifiOnboarding.IdleCloseMs - 1000);
        Assert.True(_onboarding.CloseRequested);
    }

    [Fact]
    public void A_long_press_is_reported_once()
    {
        Assert.False(_onboarding.SampleButton(true, 0));
        Assert.False(_onboarding.SampleButton(true, WifiOnboarding.LongPressMs - 1));
        Assert.True(_onboarding.SampleButton(true, WifiOnboarding.LongPressMs));
        Assert.False(_onboarding.SampleButton(true, WifiOnboarding.LongPressMs + 1000));
        Assert.False(_onboarding.SampleButton(false, 6000));
        Assert.False(_onboarding.SampleButton(true, 7000));
        Assert.False(_onboarding.SampleButton(false, 8000)); // a short press is nothing
        Assert.False(_onboarding.SampleButton(true, 9000));
        Assert.True(_onboarding.SampleButton(true, 9000 + WifiOnboarding.LongPressMs));
    }
}
