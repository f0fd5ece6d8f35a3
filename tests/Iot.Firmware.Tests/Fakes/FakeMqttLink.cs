using System.Text;
using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>A broker session in memory: records publishes; the test decides when PUBACKs arrive.</summary>
public sealed class FakeMqttLink : IMqttLink
{
    private readonly Queue<int> _acks = new();
    private int _nextId = 1;

    public bool IsConnected { get; set; } = true;
    public bool BrokerReachable { get; set; } = true;
    public int ConnectAttempts { get; private set; }

    public bool Connect()
    {
        ConnectAttempts++;
        IsConnected = BrokerReachable;
        return IsConnected;
    }
    public List<(int Id, string Topic, string Payload, bool Retain)> Published { get; } = [];

    public int Publish(string topic, byte[] payload, int length, bool retain)
    {
        if (!IsConnected) return -1;
        int id = _nextId++;
        Published.Add((id, topic, Encoding.UTF8.GetString(payload, 0, length), retain));
        return id;
    }

    public void Acknowledge(int id) => _acks.Enqueue(id);

    public void AcknowledgeAll()
    {
        foreach (var p in Published) _acks.Enqueue(p.Id);
    }

    public bool TryTakeAcknowledged(out int packetId) => _acks.TryDequeue(out packetId);
}
