using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Onboarding;

/// <summary>IWifiStation that joins when the password is the one it expects, recording every attempt.</summary>
public sealed class FakeWifiStation : IWifiStation
{
    public string? Network { get; set; } = "site-router";
    public string AcceptedPassword { get; set; } = "mysecurepassword";
    public bool Throws { get; set; }
    public List<(string Ssid, string Password, int TimeoutMs)> Joins { get; } = [];
    public bool IsConnected { get; private set; }

    public bool Join(string ssid, string password, int timeoutMs)
    {
        Joins.Add((ssid, password, timeoutMs));
        if (Throws) throw new InvalidOperationException("radio");
        IsConnected = ssid == Network && password == AcceptedPassword;
        return IsConnected;
    }
}
