using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>A broker session that acknowledges every publish at once, allocating nothing in steady state.</summary>
public sealed class InstantAckMqttLink : IMqttLink
{
    private readonly Queue<int> _acks = new(64);
    private int _nextId;
    public int Publishes { get; private set; }
    public bool IsConnected { get; private set; }
    public bool LoginRefused => false;
    public bool Connect(string? userName, string? password, bool will) => IsConnected = true;
    public void Disconnect() => IsConnected = false;
    public int Publish(string topic, byte[] payload, int length, bool retain)
    {
        Publishes++;
        _acks.Enqueue(++_nextId);
        return _nextId;
    }
    public bool TryTakeAcknowledged(out int packetId) => _acks.TryDequeue(out packetId);
}
