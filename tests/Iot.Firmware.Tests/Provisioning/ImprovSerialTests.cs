using System.Text;
using Iot.Gateway.Hardware;
using Iot.Gateway.Provisioning;

namespace Iot.Firmware.Tests.Provisioning;

/// <summary>Improv Wi-Fi over serial, against byte sequences written from https://www.improv-wifi.com/serial/.</summary>
public class ImprovSerialTests
{
    private sealed class FakeSerial : ISerialLink
    {
        public readonly Queue<byte> Input = new();
        public readonly List<byte> Output = [];
        public int BaudRate => 115200;
        public void DiscardInput() => Input.Clear();
        public void Write(byte[] buffer, int offset, int count) => Output.AddRange(buffer.AsSpan(offset, count).ToArray());
        public int Read(byte[] buffer, int offset, int count, int timeoutMs)
        {
            int n = 0;
            while (n < count && Input.Count > 0) buffer[offset + n++] = Input.Dequeue();
            return n;
        }
    }

    private sealed class FakeWifi : IWifiStation
    {
        public string? AcceptedPassword { get; set; } = "mysecurepassword";
        public List<(string Ssid, string Password)> Joins { get; } = [];
        public bool IsConnected { get; private set; }
        public bool Join(string ssid, string password, int timeoutMs)
        {
            Joins.Add((ssid, password));
            IsConnected = password == AcceptedPassword;
            return IsConnected;
        }
    }

    private readonly FakeSerial _serial = new();
    private readonly FakeWifi _wifi = new();
    private readonly ImprovSerial _improv;

    public ImprovSerialTests() => _improv = new ImprovSerial(_serial, _wifi, "Iot.Gateway", "1.4.2", "esp32", "NS-0001");

    private static readonly byte[] Header = "IMPROV"u8.ToArray();

    // A packet as the spec draws it: "IMPROV", version 1, type, length, data, checksum = low byte of the sum of all before it.
    private static byte[] Packet(byte type, params byte[] data)
    {
        var bytes = Header.Concat(new byte[] { 1, type, (byte)data.Length }).Concat(data).ToList();
        bytes.Add((byte)bytes.Sum(b => b));
        return [.. bytes];
    }

    private static byte[] Rpc(byte command, params byte[] data) => Packet(0x03, [command, (byte)data.Length, .. data]);

    private void Send(byte[] bytes)
    {
        foreach (var b in bytes) _serial.Input.Enqueue(b);
        _improv.Poll();
    }

    private static byte[] Str(string s) => [(byte)Encoding.UTF8.GetByteCount(s), .. Encoding.UTF8.GetBytes(s)];

    [Fact]
    public void Request_current_state_answers_no_error_then_ready_byte_for_byte()
    {
        // IMPROV, version 1, RPC command (3), length 2, command 0x02 (request current state), data length 0, checksum.
        Send([0x49, 0x4D, 0x50, 0x52, 0x4F, 0x56, 0x01, 0x03, 0x02, 0x02, 0x00, 0xE5]);

        byte[] expected =
        [
            0x49, 0x4D, 0x50, 0x52, 0x4F, 0x56, 0x01, 0x02, 0x01, 0x00, 0xE1, // error state: no error
            0x49, 0x4D, 0x50, 0x52, 0x4F, 0x56, 0x01, 0x01, 0x01, 0x02, 0xE2, // current state: ready (authorized)
        ];
        Assert.Equal(expected, _serial.Output);
    }

    [Fact]
    public void Send_wifi_settings_joins_the_network_and_reports_provisioning_then_provisioned()
    {
        // The spec's example: 01 1E 0C {MyWirelessAP} 10 {mysecurepassword}
        byte[] settings = [.. Str("MyWirelessAP"), .. Str("mysecurepassword")];
        Assert.Equal(0x1E, settings.Length);
        Send(Rpc(0x01, settings));

        Assert.Equal([("MyWirelessAP", "mysecurepassword")], _wifi.Joins);
        byte[] expected =
        [
            .. Packet(0x02, 0x00),       // no error
            .. Packet(0x01, 0x03),       // provisioning
            .. Packet(0x01, 0x04),       // provisioned
            .. Packet(0x04, 0x01, 0x00), // RPC result for command 1: no redirect URL
        ];
        Assert.Equal(expected, _serial.Output);
        Assert.Equal(ImprovSerial.StateProvisioned, _improv.State);
        Assert.Equal(1, _improv.NetworksJoined);
    }

    [Fact]
    public void Wrong_wifi_password_reports_unable_to_connect_and_ready_again()
    {
        Send(Rpc(0x01, [.. Str("MyWirelessAP"), .. Str("wrong")]));

        byte[] expected = [.. Packet(0x02, 0x00), .. Packet(0x01, 0x03), .. Packet(0x02, 0x03), .. Packet(0x01, 0x02)];
        Assert.Equal(expected, _serial.Output);
    }

    [Fact]
    public void Device_information_lists_firmware_version_hardware_and_device_name()
    {
        Send(Rpc(0x03));

        byte[] strings = [.. Str("Iot.Gateway"), .. Str("1.4.2"), .. Str("esp32"), .. Str("NS-0001")];
        byte[] expected = [.. Packet(0x02, 0x00), .. Packet(0x04, [0x03, (byte)strings.Length, .. strings])];
        Assert.Equal(expected, _serial.Output);
    }

    [Fact]
    public void Current_state_when_provisioned_adds_the_result_packet()
    {
        Send(Rpc(0x01, [.. Str("AP"), .. Str("mysecurepassword")]));
        _serial.Output.Clear();
        Send(Rpc(0x02));

        byte[] expected = [.. Packet(0x02, 0x00), .. Packet(0x01, 0x04), .. Packet(0x04, 0x02, 0x00)];
        Assert.Equal(expected, _serial.Output);
    }

    [Fact]
    public void Bad_checksum_and_inconsistent_lengths_are_invalid_rpc_unknown_commands_are_unknown()
    {
        var bad = Rpc(0x02);
        bad[^1] ^= 0xFF;
        Send(bad);
        Assert.Equal(Packet(0x02, 0x01), _serial.Output);

        _serial.Output.Clear();
        Send(Packet(0x03, 0x02, 0x05)); // says 5 data bytes, carries none
        Assert.Equal(Packet(0x02, 0x01), _serial.Output);

        _serial.Output.Clear();
        Send(Rpc(0x01, [.. Str("AP"), 0x09, (byte)'x'])); // password length beyond the data
        Assert.Equal([.. Packet(0x02, 0x00), .. Packet(0x02, 0x01)], _serial.Output);
        Assert.Empty(_wifi.Joins);

        _serial.Output.Clear();
        Send(Rpc(0x42));
        Assert.Equal([.. Packet(0x02, 0x00), .. Packet(0x02, 0x02)], _serial.Output);
    }

    [Fact]
    public void Console_noise_split_packets_and_other_versions_are_handled()
    {
        byte[] request = Rpc(0x02);
        Send("boot: IMPRO\nIIMP"u8.ToArray()); // noise and false starts
        Assert.Empty(_serial.Output);
        foreach (var b in request)
        {
            Send([b]); // one byte at a time
        }
        Assert.Equal([.. Packet(0x02, 0x00), .. Packet(0x01, 0x02)], _serial.Output);

        _serial.Output.Clear();
        var v2 = Rpc(0x02);
        v2[6] = 2;
        Send(v2);
        Assert.Empty(_serial.Output);
        Send(Rpc(0x02)); // still in step after the ignored packet
        Assert.Equal([.. Packet(0x02, 0x00), .. Packet(0x01, 0x02)], _serial.Output);
    }

    [Fact]
    public void Utf8_ssid_reaches_the_wifi_station_intact()
    {
        Send(Rpc(0x01, [.. Str("工地-网络 📶"), .. Str("mysecurepassword")]));
        Assert.Equal("工地-网络 📶", _wifi.Joins[0].Ssid);
    }
}
