using System.Collections.Concurrent;
using System.Threading.Channels;
using Iot.Gateway.Hardware;
using MQTTnet;
using MQTTnet.Protocol;

namespace Iot.Gateway.Virtual.Hardware;

/// <summary>
/// IMqttLink and IMqttInbox over MQTTnet, for a main loop that must never block: Connect starts a connection in the
/// background and reports success on a later call; Publish copies the payload, starts a QoS 1 publish and returns an
/// id whose PUBACK TryTakeAcknowledged hands out when the publish task completes. MQTTnet does not reconnect by
/// itself, which is what the device needs: the firmware's ConnectionSupervisor decides when to try again.
/// Each connection attempt uses the login the firmware passes (own, configured, bootstrap or none).
/// </summary>
public sealed class MqttClientLink : IMqttLink, IMqttInbox, IAsyncDisposable
{
    /// <summary>Messages the device holds unread (commands, credentials); a full inbox pauses delivery, as the device's RAM would.</summary>
    private const int InboxCapacity = 16;

    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _host, _deviceId;
    private readonly int _port;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _ca;
    private readonly ConcurrentQueue<int> _acks = new();
    private readonly Channel<MqttApplicationMessage> _inbox = Channel.CreateBounded<MqttApplicationMessage>(InboxCapacity);
    private readonly CancellationTokenSource _disposed = new();
    private readonly byte[] _willPayload;
    private Task? _connecting;
    private Task? _disconnecting;
    private volatile bool _sessionReported;
    private volatile bool _loginRefused;
    private volatile string? _userName;
    private int _nextId;
    private int _disposeCount;

    /// <summary>A link to host:port, over TLS trusting only <paramref name="ca"/> when it is given (the broker's TLS listener).</summary>
    public MqttClientLink(string host, int port, string deviceId, System.Security.Cryptography.X509Certificates.X509Certificate2? ca = null)
    {
        (_host, _port, _deviceId, _ca) = (host, port, deviceId, ca);
        _willPayload = System.Text.Encoding.UTF8.GetBytes($$"""{"v":1,"dev":"{{deviceId}}","online":false}""");
        // Acknowledged once in the inbox: the device takes over from there (AutoAcknowledge, after the handler).
        _client.ApplicationMessageReceivedAsync += e => _inbox.Writer.WriteAsync(e.ApplicationMessage, _disposed.Token).AsTask();
        _client.DisconnectedAsync += _ =>
        {
            _sessionReported = false;
            return Task.CompletedTask;
        };
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
    public string? UserName => _userName;

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
            // The login and will of this attempt.
            _userName = userName;
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer(_host, _port)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                .WithClientId(_deviceId)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(60));
            if (userName is not null) options.WithCredentials(userName, password);
            if (_ca is not null) options.WithTlsOptions(tls => tls.UseTls().WithTrustChain([_ca]));
            if (will)
                options.WithWillTopic(Iot.Contract.Topics.For(_deviceId, Iot.Contract.Topics.Status)).WithWillPayload(_willPayload).WithWillRetain()
                    .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            _connecting = ConnectAsync(options.Build());
        }
        return false;
    }

    public void Disconnect()
    {
        _sessionReported = false;
        if (_disconnecting is { IsCompleted: false }) return;
        _disconnecting = DisconnectAsync(MqttClientDisconnectOptionsReason.NormalDisconnection);
    }

    public int Publish(string topic, byte[] payload, int length, bool retain)
    {
        if (!IsConnected) return -1;
        int id = Interlocked.Increment(ref _nextId) & int.MaxValue;
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload.AsSpan(0, length).ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build();
        _ = AwaitPubAckAsync(message, id);
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
        if (!_inbox.Reader.TryRead(out var message))
        {
            topic = "";
            return -1;
        }
        topic = message.Topic;
        var payload = message.Payload;
        var length = (int)payload.Length;
        var copied = Math.Min(length, buffer.Length);
        System.Buffers.BuffersExtensions.CopyTo(payload.Slice(0, copied), buffer);
        return length;
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
        while (_inbox.Reader.TryRead(out _))
        {
        }
        if (_disconnecting is { IsCompleted: false }) return;
        _disconnecting = DisconnectAsync(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage);
    }

    /// <summary>Ends the session; with the will the fleet sees the device go offline.</summary>
    public async Task DisconnectAsync(MqttClientDisconnectOptionsReason reason)
    {
        if (_connecting is { } connecting) await connecting.ConfigureAwait(false);
        try
        {
            if (_client.IsConnected) await _client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = reason }).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A runner and its caller may both dispose the gateway.
        if (Interlocked.Exchange(ref _disposeCount, 1) != 0) return;
        if (_disconnecting is { } d) await d.ConfigureAwait(false);
        await DisconnectAsync(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).ConfigureAwait(false);
        await _disposed.CancelAsync().ConfigureAwait(false);
        _client.Dispose();
        _disposed.Dispose();
    }

    private async Task ConnectAsync(MqttClientOptions options)
    {
        try
        {
            // MQTTnet returns a refusal in the result (CONNACK reason code) rather than throwing it.
            var result = await _client.ConnectAsync(options).ConfigureAwait(false);
            _loginRefused = result.ResultCode is MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.BadUserNameOrPassword;
            if (result.ResultCode != MqttClientConnectResultCode.Success) Interlocked.Increment(ref FailedConnects);
        }
        catch (Exception)
        {
            _loginRefused = false;
            Interlocked.Increment(ref FailedConnects);
        }
    }

    private async Task AwaitPubAckAsync(MqttApplicationMessage message, int id)
    {
        try
        {
            var result = await _client.PublishAsync(message).ConfigureAwait(false);
            if (result.IsSuccess) _acks.Enqueue(id);
            else Interlocked.Increment(ref FailedPublishes);
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
            await _client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The session dropped; the runtime subscribes again on the next one.
        }
    }
}
