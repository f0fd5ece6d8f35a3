using System.Collections.Concurrent;
using System.Text.Json;
using Iot.Testing;
using MQTTnet;

namespace Iot.VirtualGateway.Tests;

/// <summary>One record as it arrived on iot/v1/{dev}/telemetry or, sent late, on iot/v1/{dev}/backfill.</summary>
public sealed record ReceivedRecord(string Dev, uint Seq, long T, int Q, JsonElement M)
{
    public double Value(string channel) => M.GetProperty(channel).GetDouble();
}

/// <summary>Subscribes to everything the gateways publish and keeps it for assertions.</summary>
public sealed class TelemetryTap : IAsyncDisposable
{
    private readonly TestMqttClient _client;
    private readonly ConcurrentQueue<ReceivedRecord> _records = new();
    private readonly ConcurrentQueue<MqttApplicationMessage> _other = new();
    private readonly Task _reader;

    private TelemetryTap(TestMqttClient client)
    {
        _client = client;
        _reader = Task.Run(ReadAsync);
    }

    public static async Task<TelemetryTap> StartAsync(string host, int port, params string[] filters)
    {
        var client = await TestMqttClient.ConnectAsync(host, port, "tap-" + Guid.NewGuid().ToString("N")[..8]);
        await client.SubscribeAsync(filters);
        return new TelemetryTap(client);
    }

    /// <summary>Records in arrival order (duplicates included).</summary>
    public IReadOnlyList<ReceivedRecord> Records => _records.ToArray();

    /// <summary>Messages without records (status, events).</summary>
    public IReadOnlyList<MqttApplicationMessage> Other => _other.ToArray();

    /// <summary>Waits until the distinct (dev, seq) count reaches expected.</summary>
    public async Task WaitForAsync(int expectedDistinct, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Records.Select(r => (r.Dev, r.Seq)).Distinct().Count() < expectedDistinct && DateTime.UtcNow < deadline) await Task.Delay(20);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _reader;
    }

    private async Task ReadAsync()
    {
        await foreach (var message in _client.Messages.ReadAllAsync())
        {
            if (!message.Topic.EndsWith("/telemetry") && !message.Topic.EndsWith("/backfill"))
            {
                _other.Enqueue(message);
                continue;
            }
            var root = JsonDocument.Parse(message.Payload).RootElement;
            string dev = root.GetProperty("dev").GetString()!;
            foreach (var r in root.GetProperty("recs").EnumerateArray())
            {
                _records.Enqueue(new ReceivedRecord(dev, r.GetProperty("seq").GetUInt32(), r.GetProperty("t").GetInt64(), r.GetProperty("q").GetInt32(), r.GetProperty("m").Clone()));
            }
        }
    }
}
