using System.Security.Cryptography.X509Certificates;

namespace Iot.Mqtt;

/// <summary>Everything an <see cref="MqttClient"/> needs to connect and how it behaves afterwards.</summary>
public sealed class MqttClientOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>1883 for plain TCP; set 8883 yourself for TLS.</summary>
    public int Port { get; set; } = 1883;

    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;

    /// <summary>Empty asks a 5.0 broker to assign one (see <see cref="MqttConnectResult.AssignedClientId"/>).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Clean start (5.0) or clean session (3.1.1). False resumes the broker's session.</summary>
    public bool CleanStart { get; set; } = true;

    /// <summary>How long a 5.0 broker keeps the session after the connection ends; zero ends it with the
    /// connection. A persistent 5.0 session needs <see cref="CleanStart"/> false and a non-zero value.
    /// Ignored for 3.1.1, where a clean-session-false session lasts until the broker expires it.</summary>
    public TimeSpan SessionExpiryInterval { get; set; } = TimeSpan.Zero;

    /// <summary>Longest silence before a PINGREQ; zero turns keep-alive off.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    public string? UserName { get; set; }
    public string? Password { get; set; }

    /// <summary>Published by the broker when the connection ends without a DISCONNECT.</summary>
    public MqttWillMessage? Will { get; set; }

    /// <summary>Null connects over plain TCP.</summary>
    public MqttTlsOptions? Tls { get; set; }

    /// <summary>QoS 1 publishes awaiting PUBACK at once; publishers wait when the window is full.
    /// A 5.0 broker's smaller receive maximum takes precedence.</summary>
    public int MaximumInflight { get; set; } = 1000;

    /// <summary>The default <see cref="MaximumPacketSize"/>: twice the wire protocol's 16 KiB telemetry envelope,
    /// the largest message the project sends over MQTT, and the same limit its broker enforces.</summary>
    public const int DefaultMaximumPacketSize = 32 * 1024;

    /// <summary>Largest packet this client sends or accepts, in bytes; 0 means the protocol's maximum (256 MB).
    /// A larger incoming packet is refused from its fixed header, before its body is read or allocated.
    /// Sent to a 5.0 broker so it does not send larger ones.</summary>
    public int MaximumPacketSize { get; set; } = DefaultMaximumPacketSize;

    /// <summary>QoS 1 messages the broker may send before we acknowledge (5.0); 0 leaves the default of 65,535.</summary>
    public ushort ReceiveMaximum { get; set; }

    /// <summary>Send each PUBACK as soon as the message is in <see cref="MqttClient.Messages"/>. Leave false when
    /// the application must store a message before the broker may forget it.</summary>
    public bool AutoAcknowledge { get; set; }

    /// <summary>Received messages buffered for the application; when full, reading from the socket pauses.</summary>
    public int MessageBufferCapacity { get; set; } = 10_000;

    /// <summary>Reconnect after a lost connection with jittered exponential backoff.</summary>
    public bool AutoReconnect { get; set; } = true;

    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time for TCP, TLS and CONNACK together.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>TLS settings: the broker's certificate must chain to <see cref="CaCertificate"/>.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>The trust root for the broker's certificate; null uses the system's trust store.</summary>
    public X509Certificate2? CaCertificate { get; set; }

    /// <summary>Presented when the broker asks for one; must carry its private key.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>Name the broker's certificate must match; defaults to <see cref="MqttClientOptions.Host"/>.</summary>
    public string? TargetHost { get; set; }
}

/// <summary>The message the broker publishes for us when our connection dies without a DISCONNECT.</summary>
public sealed class MqttWillMessage
{
    public required string Topic { get; init; }
    public ReadOnlyMemory<byte> Payload { get; init; }
    public MqttQualityOfService Qos { get; init; } = MqttQualityOfService.AtLeastOnce;
    public bool Retain { get; init; }

    /// <summary>5.0: how long the broker waits before publishing it (a quick reconnect cancels it).</summary>
    public TimeSpan Delay { get; init; }
}

/// <summary>One topic filter to subscribe to; <c>$share/group/filter</c> makes a shared subscription.</summary>
public sealed record MqttSubscription(string TopicFilter, MqttQualityOfService Qos = MqttQualityOfService.AtLeastOnce)
{
    /// <summary>5.0: do not receive our own publishes.</summary>
    public bool NoLocal { get; init; }

    /// <summary>5.0: keep the retain flag as the publisher set it.</summary>
    public bool RetainAsPublished { get; init; }

    /// <summary>5.0: whether retained messages are sent when subscribing.</summary>
    public MqttRetainHandling RetainHandling { get; init; }
}

/// <summary>What the broker said in CONNACK.</summary>
public sealed class MqttConnectResult
{
    public bool SessionPresent { get; init; }
    public MqttReasonCode ReasonCode { get; init; }

    /// <summary>Client id the broker assigned when we sent an empty one (5.0).</summary>
    public string? AssignedClientId { get; init; }

    /// <summary>Largest packet the broker accepts (5.0), or null when it did not say.</summary>
    public int? MaximumPacketSize { get; init; }

    /// <summary>QoS 1 publishes the broker accepts un-acknowledged (5.0; 65,535 when it did not say).</summary>
    public int ReceiveMaximum { get; init; } = ushort.MaxValue;

    /// <summary>Topic aliases the broker accepts (5.0). This client does not use them.</summary>
    public int TopicAliasMaximum { get; init; }

    /// <summary>Keep-alive the broker imposes instead of ours (5.0).</summary>
    public TimeSpan? ServerKeepAlive { get; init; }

    public MqttQualityOfService MaximumQos { get; init; } = MqttQualityOfService.ExactlyOnce;
    public bool RetainAvailable { get; init; } = true;
    public bool SharedSubscriptionAvailable { get; init; } = true;
    public string? ReasonString { get; init; }
}

/// <summary>Raised when a connection is established (first connect or reconnect).</summary>
public sealed class MqttConnectedEventArgs(MqttConnectResult result, bool isReconnect) : EventArgs
{
    public MqttConnectResult Result { get; } = result;
    public bool IsReconnect { get; } = isReconnect;
}

/// <summary>Raised when a connection ends, with why.</summary>
public sealed class MqttDisconnectedEventArgs(MqttReasonCode? reasonCode, Exception? exception, bool byClient, bool willReconnect) : EventArgs
{
    /// <summary>The reason code of the broker's DISCONNECT (5.0) or of ours; null when the connection just died.</summary>
    public MqttReasonCode? ReasonCode { get; } = reasonCode;

    /// <summary>The transport or protocol failure, if any.</summary>
    public Exception? Exception { get; } = exception;

    /// <summary>True when the application called DisconnectAsync or disposed the client.</summary>
    public bool ByClient { get; } = byClient;

    /// <summary>True when the client will try to reconnect on its own.</summary>
    public bool WillReconnect { get; } = willReconnect;
}
