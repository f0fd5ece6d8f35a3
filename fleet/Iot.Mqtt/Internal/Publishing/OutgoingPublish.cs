namespace Iot.Mqtt.Internal.Publishing;

/// <summary>A QoS 1 publish awaiting its PUBACK; kept so it can be re-sent with DUP after a reconnect.
/// The task it completes is the one PublishAsync returned.</summary>
internal sealed class OutgoingPublish(string topic, ReadOnlyMemory<byte> payload, bool retain, int size)
    : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public string Topic { get; } = topic;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public bool Retain { get; } = retain;
    public int Size { get; } = size;
    /// <summary>0 while waiting for room in the in-flight window.</summary>
    public ushort PacketId { get; set; }

    /// <summary>Cancels the publish while it waits for room in the window.</summary>
    public CancellationTokenRegistration Cancellation { get; set; }

    /// <summary>Order of PublishAsync calls: re-sends keep the original order (MQTT 4.6).</summary>
    public long Sequence { get; set; }

    /// <summary>Written to a connection at least once, so a re-send carries DUP.</summary>
    public bool Sent { get; set; }
}
