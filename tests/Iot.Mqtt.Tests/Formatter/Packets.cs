using Iot.Mqtt.Internal.Packets;

namespace Iot.Mqtt.Tests.Formatter;

/// <summary>One example of every packet type, as each protocol version can carry it.</summary>
internal static class Packets
{
    public static IEnumerable<MqttPacket> All(MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        yield return new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = "NS-0001",
            CleanStart = false,
            KeepAliveSeconds = 30,
            UserName = "device",
            Password = [1, 2, 3],
            WillTopic = "iot/v1/NS-0001/status",
            WillPayload = "{\"online\":false}"u8.ToArray(),
            WillQos = MqttQualityOfService.AtLeastOnce,
            WillRetain = true,
            WillProperties = v5 ? new MqttProperties { WillDelayInterval = 5, ContentType = "application/json" } : null,
            Properties = v5 ? new MqttProperties { SessionExpiryInterval = 3600, ReceiveMaximum = 100, MaximumPacketSize = 65536, TopicAliasMaximum = 0 } : null,
        };
        yield return new ConnectPacket { ProtocolVersion = version, ClientId = "", CleanStart = true };
        yield return new ConnAckPacket
        {
            SessionPresent = true,
            ReasonCode = 0,
            Properties = v5 ? new MqttProperties
            {
                MaximumPacketSize = 1024,
                ReceiveMaximum = 20,
                AssignedClientIdentifier = "auto-1",
                TopicAliasMaximum = 10,
                ServerKeepAlive = 60,
                RetainAvailable = 1,
                SharedSubscriptionAvailable = 1,
                UserProperties = [new("k", "v"), new("k", "w")],
            } : null,
        };
        yield return new ConnAckPacket { ReasonCode = v5 ? (byte)0x86 : (byte)4 };
        yield return new PublishPacket { Topic = "a/b", Payload = new byte[] { 1, 2, 3 }, Qos = MqttQualityOfService.AtMostOnce };
        yield return new PublishPacket
        {
            Topic = "iot/v1/NS-0001/telemetry",
            Payload = new byte[300],
            Qos = MqttQualityOfService.AtLeastOnce,
            Retain = true,
            Dup = true,
            PacketId = 65535,
            Properties = v5 ? new MqttProperties { MessageExpiryInterval = 60, ResponseTopic = "r", CorrelationData = [9], SubscriptionIdentifiers = [1, 268_435_455], PayloadFormatIndicator = 1 } : null,
        };
        yield return new PubAckPacket { PacketId = 10 };
        if (v5)
        {
            yield return new PubAckPacket { PacketId = 11, ReasonCode = MqttReasonCode.NoMatchingSubscribers };
            yield return new PubAckPacket { PacketId = 12, ReasonCode = MqttReasonCode.QuotaExceeded, Properties = new MqttProperties { ReasonString = "full" } };
        }
        yield return new SubscribePacket
        {
            PacketId = 2,
            Filters =
            [
                new("iot/v1/+/telemetry", MqttQualityOfService.AtLeastOnce),
                new("$share/fleet/iot/v1/#", MqttQualityOfService.AtMostOnce),
                v5 ? new("x", MqttQualityOfService.AtLeastOnce, NoLocal: true, RetainAsPublished: true, MqttRetainHandling.DoNotSend) : new("x", MqttQualityOfService.ExactlyOnce),
            ],
            Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [7] } : null,
        };
        yield return new SubAckPacket { PacketId = 2, ReasonCodes = [MqttReasonCode.GrantedQoS1, MqttReasonCode.Success, v5 ? MqttReasonCode.NotAuthorized : MqttReasonCode.UnspecifiedError] };
        yield return new UnsubscribePacket { PacketId = 3, Filters = ["a/#", "b"] };
        yield return new UnsubAckPacket { PacketId = 3, ReasonCodes = v5 ? [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted] : [] };
        yield return PingReqPacket.Instance;
        yield return PingRespPacket.Instance;
        yield return new DisconnectPacket();
        if (v5)
        {
            yield return new DisconnectPacket { ReasonCode = MqttReasonCode.DisconnectWithWillMessage };
            yield return new DisconnectPacket { ReasonCode = MqttReasonCode.SessionTakenOver, Properties = new MqttProperties { ReasonString = "bye", SessionExpiryInterval = 0 } };
        }
    }
}
