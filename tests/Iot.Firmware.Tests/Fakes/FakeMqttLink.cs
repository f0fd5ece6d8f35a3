using System.Text;
using Iot.Gateway.Hardware;

namespace Iot.Firmware.Tests.Fakes;

/// <summary>A broker session in memory: records publishes; the test decides when PUBACKs arrive and what the broker sends.</summary>
public sealed class FakeMqttLink : IMqttLink, IMqttInbox
{
    private readonly Queue<(string Topic, byte[] Payload)> _inbox = new();
    public List<string> Subscriptions { get; } = [];

    public bool Subscribe(string topic)
    {
        if (!IsConnected) return false;
        Subscriptions.Add(topic);
        return true;
    }

    /// <summary>Queues a message from the broker (e.g. the retained configuration).</summary>
    public void Deliver(string topic, string payload) => _inbox.Enqueue((topic, Encoding.UTF8.GetBytes(payload)));

    public int TryTakeMessage(byte[] buffer, out string topic)
    {
        if (!_inbox.TryDequeue(out var m))
        {
            topic = "";
            return -1;
        }
        topic = m.Topic;
        m.Payload.AsSpan(0, Math.Min(buffer.Length, m.Payload.Length)).CopyTo(buffer);
        return m.Payload.Length;
    }

    private readonly Queue<int> _acks = new();
    private int _nextId = 1;

    public bool IsConnected { get; set; } = true;
    public bool BrokerReachable { get; set; } = true;
    public int ConnectAttempts { get; private set; }

    /// <summary>Accepted logins (user name, password); null: the broker has no accounts and takes anyone.</summary>
    public Dictionary<string, string>? Accounts { get; set; }
    public bool LoginRefused { get; private set; }
    /// <summary>Every CONNECT: user name, password, will.</summary>
    public List<(string? User, string? Password, bool Will)> Connects { get; } = [];
    public int Disconnects { get; private set; }

    public bool Connect(string? userName, string? password, bool will)
    {
        ConnectAttempts++;
        Connects.Add((userName, password, will));
        LoginRefused = BrokerReachable && Accounts is not null
            && (userName is null || !Accounts.TryGetValue(userName, out var expected) || expected != password);
        IsConnected = BrokerReachable && !LoginRefused;
        return IsConnected;
    }

    public void Disconnect()
    {
        Disconnects++;
        IsConnected = false;
    }
    public List<(int Id, string Topic, string Payload, bool Retain)> Published { get; } = [];

    /// <summary>True for a topic that carries a telemetry envelope: telemetry, or backfill for records sent late.</summary>
    public static bool CarriesRecords(string topic) => topic.EndsWith("/telemetry") || topic.EndsWith("/backfill");

    /// <summary>The telemetry envelopes <paramref name="device"/> published, live and late, in order.</summary>
    public IEnumerable<(int Id, string Topic, string Payload, bool Retain)> Envelopes(string device) =>
        Published.Where(p => p.Topic == $"iot/v1/{device}/telemetry" || p.Topic == $"iot/v1/{device}/backfill");

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
