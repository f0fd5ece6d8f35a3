using System.Collections.Concurrent;
using Iot.Gateway.Hardware;
using Iot.Mqtt;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// IMqttLink and IMqttInbox over our async MqttClient, for a main loop that must never block: Connect starts a
/// connection in the background and reports success on a later call; Publish copies the payload, starts a QoS 1
/// publish and returns an id whose PUBACK TryTakeAcknowledged hands out when the publish task completes.
/// The client's own reconnect is off: the firmware's ConnectionSupervisor decides when to try again, as on the device.
/// Each connection attempt uses the login the firmware passes (own, configured, bootstrap or none).
/// </summary>
public sealed class MqttClientLink : IMqttLink, IMqttInbox, IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly ConcurrentQueue<int> _acks = new();
    private readonly MqttWillMessage _will;
    private Task? _connecting;
    private Task? _disconnecting;
    private volatile bool _sessionReported;
    private volatile bool _loginRefused;
    private int _nextId;

    public MqttClientLink(string host, int port, string deviceId)
    {
        _will = new MqttWillMessage
        {
            Topic = $"iot/v1/{deviceId}/status",
            Retain = true,
            Payload = System.Text.Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{deviceId}}","online":false}"""),
        };
        _client = new MqttClient(new MqttClientOptions
        {
            Host = host,
            Port = port,
            ClientId = deviceId,
            ProtocolVersion = MqttProtocolVersion.V500,
            AutoReconnect = false,
            AutoAcknowledge = true,
            MessageBufferCapacity = 16,
            KeepAlive = TimeSpan.FromSeconds(60),
        });
        _client.Disconnected += (_, _) => _sessionReported = false;
    }

    /// <summary>False during a scenario's network outage: the session is dropped and connecting fails.</summary>
    public bool NetworkUp { get; private set; } = true;

    /// <summary>Connection attempts that failed (broker unreachable, refused, timed out).</summary>
    public int FailedConnects;

    /// <summary>Publishes that failed (session lost before the PUBACK, broker refused).</summary>
    public int FailedPublishes;

    public bool IsConnected => _sessionReported && NetworkUp && _client.IsConnected;

    /// <summary>True when the broker refused the last finished attempt for its credentials.</summary>
    public bool LoginRefused => _loginRefused;

    /// <summary>The user name of the session (or of the attempt under way); null: anonymous.</summary>
    public string? UserName => _client.Options.UserName;

    public bool Connect(string? userName, string? password, bool will)
    {
        if (!NetworkUp) return false;
        if (_disconnecting is { IsCompleted: false }) return false; // a session on its way out is not a session
        if (_client.IsConnected)
        {
            _sessionReported = true;
            return true;
        }
        if (_connecting is null || _connecting.IsCompleted)
        {
            // The options are read when the connection starts: the login and will of this attempt.
            _client.Options.UserName = userName;
            _client.Options.Password = password;
            _client.Options.Will = will ? _will : null;
            _connecting = ConnectAsync();
        }
        return false;
    }

    public void Disconnect()
    {
        _sessionReported = false;
        if (_disconnecting is { IsCompleted: false }) return;
        _disconnecting = DisconnectAsync(MqttReasonCode.Success);
    }

    public int Publish(string topic, byte[] payload, int length, bool retain)
    {
        if (!IsConnected) return -1;
        int id = Interlocked.Increment(ref _nextId) & int.MaxValue;
        Task publish;
        try
        {
            publish = _client.PublishAsync(topic, payload.AsSpan(0, length).ToArray(), MqttQualityOfService.AtLeastOnce, retain);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref FailedPublishes);
            return -1;
        }
        _ = AwaitPubAckAsync(publish, id);
        return id;
    }

    public bool TryTakeAcknowledged(out int packetId) => _acks.TryDequeue(out packetId);

    public bool Subscribe(string topic)
    {
        if (!IsConnected) return false;
        _ = SubscribeAsync(topic);
        return true;
    }

    public int TryTakeMessage(byte[] buffer, out string topic)
    {
        if (!_client.Messages.TryRead(out var message))
        {
            topic = "";
            return -1;
        }
        topic = message.Topic;
        var payload = message.Payload.Span;
        payload[..Math.Min(payload.Length, buffer.Length)].CopyTo(buffer);
        return payload.Length;
    }

    /// <summary>Starts or ends a network outage; going down drops the session the way a dead link does (the broker sends the will).</summary>
    public void SetNetwork(bool up)
    {
        if (up == NetworkUp) return;
        NetworkUp = up;
        if (!up) Drop();
    }

    /// <summary>Drops the session with the will (power cut, crash, outage) and forgets what the device had in RAM.</summary>
    public void Drop()
    {
        _sessionReported = false;
        while (_acks.TryDequeue(out _))
        {
        }
        while (_client.Messages.TryRead(out _))
        {
        }
        if (_disconnecting is { IsCompleted: false }) return;
        _disconnecting = DisconnectAsync(MqttReasonCode.DisconnectWithWillMessage);
    }

    /// <summary>Ends the session; with the will the fleet sees the device go offline.</summary>
    public async Task DisconnectAsync(MqttReasonCode reason)
    {
        if (_connecting is { } connecting) await connecting.ConfigureAwait(false);
        try
        {
            await _client.DisconnectAsync(reason).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disconnecting is { } d) await d.ConfigureAwait(false);
        await DisconnectAsync(MqttReasonCode.DisconnectWithWillMessage).ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ConnectAsync()
    {
        try
        {
            await _client.ConnectAsync().ConfigureAwait(false);
            _loginRefused = false;
        }
        catch (Exception e)
        {
            _loginRefused = e is MqttException { ReasonCode: MqttReasonCode.NotAuthorized or MqttReasonCode.BadUserNameOrPassword };
            Interlocked.Increment(ref FailedConnects);
        }
    }

    private async Task AwaitPubAckAsync(Task publish, int id)
    {
        try
        {
            await publish.ConfigureAwait(false);
            _acks.Enqueue(id);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref FailedPublishes);
        }
    }

    private async Task SubscribeAsync(string topic)
    {
        try
        {
            await _client.SubscribeAsync(topic).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The session dropped; the runtime subscribes again on the next one.
        }
    }
}
