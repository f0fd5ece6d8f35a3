using Iot.Mqtt.Internal.Transport;
using Iot.Mqtt.Internal.Packets;

namespace Iot.Mqtt;

/// <summary>A message the broker delivered to us. A QoS 1 message stays un-acknowledged until
/// <see cref="AcknowledgeAsync"/> (unless <see cref="MqttClientOptions.AutoAcknowledge"/> is on);
/// the broker redelivers un-acknowledged messages of a persistent session after a reconnect.</summary>
public sealed class MqttMessage
{
    private readonly MqttClient _client;
    private readonly MqttProperties? _properties;

    internal MqttMessage(MqttClient client, MqttConnection connection, PublishPacket packet)
    {
        _client = client;
        Connection = connection;
        Topic = packet.Topic;
        Payload = packet.Payload;
        Qos = packet.Qos;
        Retain = packet.Retain;
        Duplicate = packet.Dup;
        PacketId = packet.PacketId;
        _properties = packet.Properties;
    }

    public string Topic { get; }
    public ReadOnlyMemory<byte> Payload { get; }
    public MqttQualityOfService Qos { get; }

    /// <summary>The broker sent it from its retained store (e.g. on subscribing), not as a live publish.</summary>
    public bool Retain { get; }

    /// <summary>The broker may have sent this message before (DUP flag): handle it idempotently.</summary>
    public bool Duplicate { get; }

    /// <summary>5.0 content type, if the publisher set one.</summary>
    public string? ContentType => _properties?.ContentType;

    /// <summary>5.0 response topic, if the publisher set one.</summary>
    public string? ResponseTopic => _properties?.ResponseTopic;

    /// <summary>5.0 user properties, empty when there are none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UserProperties => _properties?.UserProperties ?? [];

    /// <summary>True once acknowledged (always true for QoS 0, which has nothing to acknowledge).</summary>
    public bool IsAcknowledged => Qos == MqttQualityOfService.AtMostOnce || Acknowledged;

    /// <summary>Tells the broker we are done with the message (PUBACK). PUBACKs go out in arrival order:
    /// acknowledging a later message first holds its PUBACK until the earlier ones are acknowledged.
    /// Completes once the PUBACK is queued for sending; a message whose connection has since dropped
    /// is not acknowledged and comes back after the reconnect.</summary>
    public ValueTask AcknowledgeAsync(MqttReasonCode reasonCode = MqttReasonCode.Success) => _client.AcknowledgeAsync(this, reasonCode);

    internal ushort PacketId { get; }
    internal MqttConnection Connection { get; }
    internal bool Acknowledged { get; set; }
    internal MqttReasonCode AcknowledgeReason { get; set; }

    public override string ToString() => $"{Topic} ({Payload.Length} bytes, QoS {(int)Qos}{(Retain ? ", retained" : "")})";
}
