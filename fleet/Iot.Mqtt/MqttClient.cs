using System.Text;
using System.Threading.Channels;
using Iot.Mqtt.Internal.Formatter;
using Iot.Mqtt.Internal.Packets;
using Iot.Mqtt.Internal.Publishing;
using Iot.Mqtt.Internal.Transport;

namespace Iot.Mqtt;

/// <summary>An MQTT 3.1.1/5.0 client over TCP or TLS: QoS 0 and 1, explicit acknowledgement of received
/// messages, persistent sessions and automatic reconnect. Cheap enough to run thousands per process.</summary>
public sealed class MqttClient : IAsyncDisposable
{
    private enum State { Disconnected, Connecting, Connected, Reconnecting, Disconnecting, Disposed }

    private readonly MqttClientOptions _options;
    private readonly Lock _sync = new();
    private readonly Channel<MqttMessage> _messages;

    // Guarded by _sync.
    private readonly Dictionary<ushort, OutgoingPublish> _inflight = [];
    // QoS 1 publishes waiting for a free slot in the in-flight window. A PUBACK moves the next one in
    // right there on the read loop: no waiter per publish, no thread-pool hop.
    private readonly Queue<OutgoingPublish> _waiting = new();
    private int _inflightLimit;
    private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _requests = [];
    private readonly Dictionary<string, MqttSubscription> _subscriptions = [];
    private State _state;
    private MqttConnection? _connection;
    private ushort _lastPacketId;
    private long _publishSequence;
    private long _maximumOutgoingPacketSize;
    private CancellationTokenSource? _reconnectCts;
    private MqttConnectResult? _connectResult;

    public MqttClient(MqttClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaximumInflight is < 1 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(options), "MaximumInflight must be between 1 and 65,535.");
        if (options.MessageBufferCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MessageBufferCapacity must be at least 1.");
        _options = options;
        _inflightLimit = options.MaximumInflight;
        _maximumOutgoingPacketSize = options.MaximumPacketSize > 0 ? options.MaximumPacketSize : MqttPacketEncoder.ProtocolMaximumPacketSize;
        _messages = Channel.CreateBounded<MqttMessage>(new BoundedChannelOptions(options.MessageBufferCapacity)
        {
            // Not SingleWriter: a dropped connection's read loop may still be delivering when the next one starts.
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Raised after every successful CONNACK, including reconnects.</summary>
    public event EventHandler<MqttConnectedEventArgs>? Connected;

    /// <summary>Raised whenever an established connection ends.</summary>
    public event EventHandler<MqttDisconnectedEventArgs>? Disconnected;

    /// <summary>The options this client was created with; changes after ConnectAsync apply on the next connect.</summary>
    public MqttClientOptions Options => _options;

    /// <summary>Messages from our subscriptions, across reconnects, in arrival order.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    /// <summary>True while a connection is established (false while reconnecting).</summary>
    public bool IsConnected
    {
        get { lock (_sync) return _state == State.Connected; }
    }

    /// <summary>The latest CONNACK, or null before the first connection.</summary>
    public MqttConnectResult? ConnectResult
    {
        get { lock (_sync) return _connectResult; }
    }

    /// <summary>Largest packet we will send: our own limit, lowered by a 5.0 broker's maximum packet size.</summary>
    public long MaximumOutgoingPacketSize
    {
        get { lock (_sync) return _maximumOutgoingPacketSize; }
    }

    /// <summary>QoS 1 publishes currently awaiting PUBACK.</summary>
    public int InflightCount
    {
        get { lock (_sync) return _inflight.Count; }
    }

    /// <summary>QoS 1 publishes waiting for room in the in-flight window.</summary>
    public int WaitingCount
    {
        get { lock (_sync) return _waiting.Count; }
    }

    /// <summary>Connects and waits for CONNACK. Throws <see cref="MqttException"/> when the broker refuses;
    /// reconnects after a later connection loss happen on their own (see <see cref="MqttClientOptions.AutoReconnect"/>).</summary>
    public async Task<MqttConnectResult> ConnectAsync(CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_state == State.Disposed, this);
            if (_state != State.Disconnected) throw new InvalidOperationException($"The client is already {_state.ToString().ToLowerInvariant()}.");
            _state = State.Connecting;
        }
        try
        {
            return await ConnectWithTimeoutAsync(isReconnect: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_sync)
            {
                if (_state == State.Connecting) _state = State.Disconnected;
            }
            throw;
        }
    }

    /// <summary>Publishes a message. For QoS 1 the task completes when the broker's PUBACK arrives, and fails
    /// with <see cref="MqttException"/> when the broker refuses it (5.0 reason code). When the in-flight window
    /// is full the publish waits in order for a free slot (cancellable until it is sent). While reconnecting,
    /// QoS 1 publishes are kept and sent after the reconnect; QoS 0 ones fail.
    /// The payload must not change until the task completes: a re-send after reconnect reads it again.</summary>
    public Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce,
        bool retain = false, CancellationToken cancellationToken = default)
    {
        ValidateTopicName(topic);
        if (qos == MqttQualityOfService.ExactlyOnce)
            throw new NotSupportedException("QoS 2 is not supported by this client; publish at QoS 1 and make the receiver idempotent.");
        if (qos > MqttQualityOfService.ExactlyOnce) throw new ArgumentOutOfRangeException(nameof(qos));
        var size = MqttPacketEncoder.GetPublishSize(topic, payload.Span, qos, null, _options.ProtocolVersion);
        if (qos == MqttQualityOfService.AtMostOnce)
        {
            lock (_sync)
            {
                if (TooLarge(size) is { } tooLarge) return Task.FromException(tooLarge);
                if (_connection is not { } connection) return Task.FromException(NotConnected());
                connection.WritePublish(topic, payload.Span, qos, retain, dup: false, packetId: 0, size);
            }
            return Task.CompletedTask;
        }
        var publish = new OutgoingPublish(topic, payload, retain, size);
        lock (_sync)
        {
            if (TooLarge(size) is { } tooLarge) return Task.FromException(tooLarge);
            if (_state is not (State.Connected or State.Reconnecting)) return Task.FromException(NotConnected());
            if (_inflight.Count < _inflightLimit && _waiting.Count == 0)
            {
                Send(publish);
                return publish.Task;
            }
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
            _waiting.Enqueue(publish);
            if (cancellationToken.CanBeCanceled)
            {
                publish.Cancellation = cancellationToken.Register(static state =>
                {
                    var (client, waiting, token) = ((MqttClient, OutgoingPublish, CancellationToken))state!;
                    // Only a publish still waiting can be cancelled; once sent, it awaits its PUBACK.
                    lock (client._sync)
                    {
                        if (waiting.PacketId == 0) waiting.TrySetCanceled(token);
                    }
                }, (this, publish, cancellationToken));
            }
        }
        return publish.Task;
    }

    /// <summary>Publishes a UTF-8 text payload.</summary>
    public Task PublishAsync(string topic, string payload, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce,
        bool retain = false, CancellationToken cancellationToken = default) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), qos, retain, cancellationToken);

    /// <summary>Subscribes to several filters in one SUBSCRIBE and returns the broker's answer per filter
    /// (granted QoS or a failure code ≥ 0x80). Granted subscriptions are renewed after a reconnect that
    /// finds no session on the broker.</summary>
    public async Task<IReadOnlyList<MqttReasonCode>> SubscribeAsync(IEnumerable<MqttSubscription> subscriptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        var list = new List<MqttSubscription>(subscriptions);
        if (list.Count == 0) throw new ArgumentException("Subscribe to at least one topic filter.", nameof(subscriptions));
        foreach (var s in list)
        {
            ValidateTopicFilter(s.TopicFilter);
            if (s.Qos == MqttQualityOfService.ExactlyOnce) throw new NotSupportedException("QoS 2 is not supported by this client; subscribe at QoS 1.");
        }
        var ack = (SubAckPacket)await RequestAsync(id => ToPacket(id, list), cancellationToken).ConfigureAwait(false);
        if (ack.ReasonCodes.Count != list.Count)
            throw new MqttProtocolException($"SUBACK has {ack.ReasonCodes.Count} codes for {list.Count} filters.", MqttReasonCode.ProtocolError);
        lock (_sync)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if ((byte)ack.ReasonCodes[i] < 0x80) _subscriptions[list[i].TopicFilter] = list[i];
            }
        }
        return ack.ReasonCodes;
    }

    /// <summary>Subscribes to one filter; throws <see cref="MqttException"/> when the broker refuses it.</summary>
    public async Task<MqttReasonCode> SubscribeAsync(string topicFilter, MqttQualityOfService qos = MqttQualityOfService.AtLeastOnce, CancellationToken cancellationToken = default)
    {
        var code = (await SubscribeAsync([new MqttSubscription(topicFilter, qos)], cancellationToken).ConfigureAwait(false))[0];
        if ((byte)code >= 0x80) throw new MqttException($"The broker refused the subscription to '{topicFilter}': {code}.", code);
        return code;
    }

    /// <summary>Unsubscribes from several filters; returns the 5.0 reason codes (all Success for 3.1.1).</summary>
    public async Task<IReadOnlyList<MqttReasonCode>> UnsubscribeAsync(IEnumerable<string> topicFilters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        var list = new List<string>(topicFilters);
        if (list.Count == 0) throw new ArgumentException("Unsubscribe from at least one topic filter.", nameof(topicFilters));
        foreach (var f in list) ValidateTopicFilter(f);
        lock (_sync)
        {
            foreach (var f in list) _subscriptions.Remove(f);
        }
        var ack = (UnsubAckPacket)await RequestAsync(id => new UnsubscribePacket { PacketId = id, Filters = list }, cancellationToken).ConfigureAwait(false);
        if (ack.ReasonCodes.Count == 0) return list.ConvertAll(_ => MqttReasonCode.Success);
        return ack.ReasonCodes;
    }

    /// <summary>Unsubscribes from the given filters.</summary>
    public Task<IReadOnlyList<MqttReasonCode>> UnsubscribeAsync(params string[] topicFilters) => UnsubscribeAsync((IEnumerable<string>)topicFilters);

    /// <summary>Acknowledges a received QoS 1 message; same as <see cref="MqttMessage.AcknowledgeAsync"/>.</summary>
    public ValueTask AcknowledgeAsync(MqttMessage message, MqttReasonCode reasonCode = MqttReasonCode.Success)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Qos != MqttQualityOfService.AtLeastOnce) return ValueTask.CompletedTask;
        lock (_sync)
        {
            if (message.Acknowledged) return ValueTask.CompletedTask;
            message.Acknowledged = true;
            message.AcknowledgeReason = reasonCode;
            var connection = message.Connection;
            // A dropped connection's messages come back after the reconnect: nothing to send.
            if (connection.IsClosed) return ValueTask.CompletedTask;
            // PUBACKs leave in the order the PUBLISHes arrived (MQTT 4.6): release the acknowledged prefix.
            var queue = connection.PendingAcknowledgements;
            while (queue.Count > 0 && queue.Peek().Acknowledged)
            {
                var head = queue.Dequeue();
                connection.WritePubAck(head.PacketId, head.AcknowledgeReason);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends DISCONNECT with <paramref name="reasonCode"/> (5.0) and closes the connection; no will message
    /// is published unless the reason is <see cref="MqttReasonCode.DisconnectWithWillMessage"/>. QoS 1 publishes still
    /// awaiting PUBACK fail. The client may connect again afterwards.</summary>
    public async Task DisconnectAsync(MqttReasonCode reasonCode = MqttReasonCode.Success, CancellationToken cancellationToken = default)
    {
        MqttConnection? connection;
        lock (_sync)
        {
            if (_state is State.Disconnected or State.Disposed or State.Disconnecting) return;
            _state = State.Disconnecting;
            connection = _connection;
            _connection = null;
            _reconnectCts?.Cancel();
            _reconnectCts = null;
            FailPending(new MqttException("The client disconnected before the broker answered."), publishesToo: true);
            connection?.Write(new DisconnectPacket { ReasonCode = reasonCode });
        }
        try
        {
            if (connection is not null)
                await connection.CloseAsync(TimeSpan.FromSeconds(2)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_sync)
            {
                if (_state == State.Disconnecting) _state = State.Disconnected;
            }
        }
        if (connection is not null) Raise(Disconnected, new MqttDisconnectedEventArgs(reasonCode, null, byClient: true, willReconnect: false));
    }

    /// <summary>Disconnects (see <see cref="DisconnectAsync"/>) and completes <see cref="Messages"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync().ConfigureAwait(false);
        lock (_sync)
        {
            _state = State.Disposed;
        }
        _messages.Writer.TryComplete();
    }

    /// <summary>Test hook: drops the TCP connection without DISCONNECT, as a crash or network failure would,
    /// after what is already queued (e.g. PUBACKs) has been written.</summary>
    internal async Task DropConnectionAsync()
    {
        MqttConnection? connection;
        lock (_sync) connection = _connection;
        if (connection is null) return;
        await connection.FlushAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        connection.Abort(new IOException("Connection dropped by a test."));
    }

    private Exception? TooLarge(int size) =>
        size > _maximumOutgoingPacketSize
            ? new MqttPacketTooLargeException(size, _maximumOutgoingPacketSize,
                _options.MaximumPacketSize > 0 && _options.MaximumPacketSize == _maximumOutgoingPacketSize ? "configured" : "broker's")
            : null;

    private MqttException NotConnected() => new($"The client is not connected ({_state.ToString().ToLowerInvariant()}).");

    // Gives the publish a packet id and a place in the window, and writes it if connected. Caller holds _sync.
    private void Send(OutgoingPublish publish)
    {
        publish.PacketId = NextPacketId();
        publish.Sequence = ++_publishSequence;
        _inflight.Add(publish.PacketId, publish);
        if (_connection is { } connection)
        {
            connection.WritePublish(publish.Topic, publish.Payload.Span, MqttQualityOfService.AtLeastOnce, publish.Retain, dup: false, publish.PacketId, publish.Size);
            publish.Sent = true;
        }
    }

    // Fills free window slots with waiting publishes, in the order they were made. Caller holds _sync.
    private void SendWaiting()
    {
        while (_inflight.Count < _inflightLimit && _waiting.TryDequeue(out var publish))
        {
            if (publish.Task.IsCompleted) continue; // cancelled while waiting
            publish.Cancellation.Unregister(); // not Dispose: that would wait for a running callback that needs _sync
            Send(publish);
        }
    }

    // Packet ids are shared by publishes and (un)subscribes; one in flight is never reused (MQTT 2.2.1).
    private ushort NextPacketId()
    {
        while (true)
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
            if (!_inflight.ContainsKey(_lastPacketId) && !_requests.ContainsKey(_lastPacketId)) return _lastPacketId;
        }
    }

    private static SubscribePacket ToPacket(ushort packetId, List<MqttSubscription> subscriptions)
    {
        var packet = new SubscribePacket { PacketId = packetId };
        foreach (var s in subscriptions)
            packet.Filters.Add(new SubscribeFilter(s.TopicFilter, s.Qos, s.NoLocal, s.RetainAsPublished, s.RetainHandling));
        return packet;
    }

    private async Task<MqttPacket> RequestAsync(Func<ushort, MqttPacket> build, CancellationToken cancellationToken)
    {
        var request = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        ushort packetId;
        lock (_sync)
        {
            if (_connection is not { } connection) throw NotConnected();
            packetId = NextPacketId();
            var packet = build(packetId);
            var size = MqttPacketEncoder.GetSize(packet, connection.Version);
            if (TooLarge(size) is { } tooLarge) throw tooLarge;
            _requests.Add(packetId, request);
            connection.Write(packet);
        }
        try
        {
            return await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_sync)
            {
                if (_requests.TryGetValue(packetId, out var current) && current == request) _requests.Remove(packetId);
            }
        }
    }

    private async Task<MqttConnectResult> ConnectWithTimeoutAsync(bool isReconnect, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            return await ConnectOnceAsync(isReconnect, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No connection to {_options.Host}:{_options.Port} within {_options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
    }

    private async Task<MqttConnectResult> ConnectOnceAsync(bool isReconnect, CancellationToken timeoutToken)
    {
        var (socket, stream) = await MqttTransport.ConnectAsync(_options, timeoutToken).ConfigureAwait(false);
        var maximumIncoming = _options.MaximumPacketSize > 0 ? _options.MaximumPacketSize : MqttPacketEncoder.ProtocolMaximumPacketSize;
        var connection = new MqttConnection(socket, stream, _sync, _options.ProtocolVersion, maximumIncoming, OnPacketAsync, OnConnectionClosed);
        try
        {
            connection.Start();
            lock (_sync) connection.Write(BuildConnect());
            var connAck = await connection.ConnAck.WaitAsync(timeoutToken).ConfigureAwait(false);
            var result = ToResult(connAck);
            if (result.ReasonCode != MqttReasonCode.Success)
                throw new MqttException($"The broker refused the connection: {result.ReasonCode}{(result.ReasonString is { } s ? $" ({s})" : "")}.", result.ReasonCode);
            var keepAlive = result.ServerKeepAlive ?? _options.KeepAlive;
            lock (_sync)
            {
                if (_state is not (State.Connecting or State.Reconnecting))
                    throw new OperationCanceledException("The client was disconnected while connecting.");
                _connection = connection;
                connection.Established = true;
                _state = State.Connected;
                _connectResult = result;
                var own = _options.MaximumPacketSize > 0 ? _options.MaximumPacketSize : MqttPacketEncoder.ProtocolMaximumPacketSize;
                _maximumOutgoingPacketSize = Math.Min(own, result.MaximumPacketSize ?? own);
                _inflightLimit = Math.Min(_options.MaximumInflight, result.ReceiveMaximum);
                if (!result.SessionPresent) Resubscribe(connection);
                Resend(connection);
                SendWaiting();
            }
            connection.StartKeepAlive(keepAlive);
            Raise(Connected, new MqttConnectedEventArgs(result, isReconnect));
            // The connection may have died between CONNACK and here, while it was not yet ours to report.
            if (connection.IsClosed) OnConnectionClosed(connection, connection.CloseError);
            return result;
        }
        catch
        {
            connection.Abort(null);
            throw;
        }
    }

    private ConnectPacket BuildConnect()
    {
        var v5 = _options.ProtocolVersion == MqttProtocolVersion.V500;
        var packet = new ConnectPacket
        {
            ProtocolVersion = _options.ProtocolVersion,
            ClientId = _options.ClientId,
            CleanStart = _options.CleanStart,
            KeepAliveSeconds = (ushort)Math.Clamp(_options.KeepAlive.TotalSeconds, 0, ushort.MaxValue),
            UserName = _options.UserName,
            Password = _options.Password is { } password ? Encoding.UTF8.GetBytes(password) : null,
        };
        if (v5)
        {
            var properties = new MqttProperties();
            if (_options.SessionExpiryInterval > TimeSpan.Zero)
                properties.SessionExpiryInterval = (uint)Math.Min(_options.SessionExpiryInterval.TotalSeconds, uint.MaxValue);
            if (_options.ReceiveMaximum > 0) properties.ReceiveMaximum = _options.ReceiveMaximum;
            if (_options.MaximumPacketSize > 0) properties.MaximumPacketSize = (uint)_options.MaximumPacketSize;
            packet.Properties = properties;
        }
        if (_options.Will is { } will)
        {
            packet.WillTopic = will.Topic;
            packet.WillPayload = will.Payload.ToArray();
            packet.WillQos = will.Qos;
            packet.WillRetain = will.Retain;
            if (v5 && will.Delay > TimeSpan.Zero)
                packet.WillProperties = new MqttProperties { WillDelayInterval = (uint)Math.Min(will.Delay.TotalSeconds, uint.MaxValue) };
        }
        return packet;
    }

    private MqttConnectResult ToResult(ConnAckPacket ack)
    {
        var p = ack.Properties;
        return new MqttConnectResult
        {
            SessionPresent = ack.SessionPresent,
            ReasonCode = _options.ProtocolVersion == MqttProtocolVersion.V500 ? (MqttReasonCode)ack.ReasonCode : ReturnCode311(ack.ReasonCode),
            AssignedClientId = p?.AssignedClientIdentifier,
            MaximumPacketSize = p?.MaximumPacketSize is { } max ? (int)Math.Min(max, int.MaxValue) : null,
            ReceiveMaximum = p?.ReceiveMaximum ?? ushort.MaxValue,
            TopicAliasMaximum = p?.TopicAliasMaximum ?? 0,
            ServerKeepAlive = p?.ServerKeepAlive is { } keepAlive ? TimeSpan.FromSeconds(keepAlive) : null,
            MaximumQos = (MqttQualityOfService)(p?.MaximumQoS ?? 2),
            RetainAvailable = (p?.RetainAvailable ?? 1) != 0,
            SharedSubscriptionAvailable = (p?.SharedSubscriptionAvailable ?? 1) != 0,
            ReasonString = p?.ReasonString,
        };
    }

    // 3.1.1 CONNACK return codes 1..5 and their 5.0 equivalents.
    private static MqttReasonCode ReturnCode311(byte code) => code switch
    {
        0 => MqttReasonCode.Success,
        1 => MqttReasonCode.UnsupportedProtocolVersion,
        2 => MqttReasonCode.ClientIdentifierNotValid,
        3 => MqttReasonCode.ServerUnavailable,
        4 => MqttReasonCode.BadUserNameOrPassword,
        5 => MqttReasonCode.NotAuthorized,
        _ => MqttReasonCode.UnspecifiedError,
    };

    // The broker lost our session: subscribe again to everything the application subscribed to. Nobody
    // awaits the SUBACK; the request entry only keeps its packet id reserved until it arrives.
    private void Resubscribe(MqttConnection connection)
    {
        if (_subscriptions.Count == 0) return;
        var packet = ToPacket(NextPacketId(), [.. _subscriptions.Values]);
        _requests.Add(packet.PacketId, new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously));
        connection.Write(packet);
    }

    // Publishes without PUBACK go out again in their original order, with DUP if they were sent before.
    private void Resend(MqttConnection connection)
    {
        if (_inflight.Count == 0) return;
        var pending = new List<OutgoingPublish>(_inflight.Values);
        pending.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var p in pending)
        {
            connection.WritePublish(p.Topic, p.Payload.Span, MqttQualityOfService.AtLeastOnce, p.Retain, dup: p.Sent, p.PacketId, p.Size);
            p.Sent = true;
        }
    }

    private ValueTask OnPacketAsync(MqttConnection connection, MqttPacket packet)
    {
        switch (packet)
        {
            case PublishPacket publish:
                return OnPublishAsync(connection, publish);
            case PubAckPacket { Type: MqttPacketType.PubAck } ack:
                OnPubAck(ack);
                return ValueTask.CompletedTask;
            case SubAckPacket { PacketId: var id }:
                CompleteRequest(id, packet);
                return ValueTask.CompletedTask;
            case UnsubAckPacket { PacketId: var id }:
                CompleteRequest(id, packet);
                return ValueTask.CompletedTask;
            default:
                throw new MqttProtocolException($"A client does not expect {packet.Type} from the broker.", MqttReasonCode.ProtocolError);
        }
    }

    private ValueTask OnPublishAsync(MqttConnection connection, PublishPacket publish)
    {
        if (publish.Qos == MqttQualityOfService.ExactlyOnce)
            throw new MqttProtocolException("The broker sent a QoS 2 message, which this client does not support.", MqttReasonCode.QoSNotSupported);
        if (publish.Topic.Length == 0)
            throw new MqttProtocolException("The broker used a topic alias although we allow none.", MqttReasonCode.TopicAliasInvalid);
        var message = new MqttMessage(this, connection, publish);
        if (publish.Qos == MqttQualityOfService.AtLeastOnce)
        {
            lock (_sync) connection.PendingAcknowledgements.Enqueue(message);
        }
        if (_messages.Writer.TryWrite(message))
        {
            if (_options.AutoAcknowledge) _ = AcknowledgeAsync(message);
            return ValueTask.CompletedTask;
        }
        return DeliverWhenRoomAsync(message);
    }

    private async ValueTask DeliverWhenRoomAsync(MqttMessage message)
    {
        await _messages.Writer.WriteAsync(message).ConfigureAwait(false);
        if (_options.AutoAcknowledge) await AcknowledgeAsync(message).ConfigureAwait(false);
    }

    private void OnPubAck(PubAckPacket ack)
    {
        OutgoingPublish? publish;
        lock (_sync)
        {
            if (!_inflight.Remove(ack.PacketId, out publish)) return;
            if (_waiting.Count > 0) SendWaiting();
        }
        if ((byte)ack.ReasonCode >= 0x80)
            publish.TrySetException(new MqttException($"The broker refused the publish to '{publish.Topic}': {ack.ReasonCode}.", ack.ReasonCode));
        else
            publish.TrySetResult();
    }

    private void CompleteRequest(ushort packetId, MqttPacket answer)
    {
        TaskCompletionSource<MqttPacket>? request;
        lock (_sync)
        {
            if (!_requests.Remove(packetId, out request)) return;
        }
        request.TrySetResult(answer);
    }

    private void OnConnectionClosed(MqttConnection connection, Exception? error)
    {
        bool reconnect;
        lock (_sync)
        {
            // A failed connect attempt is reported by ConnectAsync; a replaced connection by whoever replaced it.
            if (!connection.Established || _connection != connection) return;
            _connection = null;
            reconnect = _options.AutoReconnect && _state == State.Connected;
            _state = reconnect ? State.Reconnecting : State.Disconnected;
            FailPending(new MqttException("The connection was lost before the broker answered.", innerException: error), publishesToo: !reconnect);
            if (reconnect)
            {
                _reconnectCts = new CancellationTokenSource();
                _ = ReconnectLoopAsync(_reconnectCts.Token);
            }
        }
        Raise(Disconnected, new MqttDisconnectedEventArgs(connection.ServerDisconnectReason, error, byClient: false, willReconnect: reconnect));
    }

    // Subscribe/unsubscribe requests always fail with the connection; QoS 1 publishes only when no reconnect will re-send them.
    private void FailPending(Exception failure, bool publishesToo)
    {
        foreach (var request in _requests.Values) request.TrySetException(failure);
        _requests.Clear();
        if (!publishesToo) return;
        foreach (var publish in _inflight.Values) publish.TrySetException(failure);
        _inflight.Clear();
        while (_waiting.TryDequeue(out var waiting))
        {
            waiting.Cancellation.Unregister();
            waiting.TrySetException(failure);
        }
    }

    private async Task ReconnectLoopAsync(CancellationToken cancellationToken)
    {
        var delay = _options.ReconnectInitialDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Jitter spreads thousands of clients that lost the same broker over the delay.
            var jittered = delay * (0.5 + Random.Shared.NextDouble() * 0.5);
            try
            {
                await Task.Delay(jittered, cancellationToken).ConfigureAwait(false);
                await ConnectWithTimeoutAsync(isReconnect: true, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                lock (_sync)
                {
                    if (_state != State.Reconnecting) return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        // An application handler that throws must not break the read loop or the reconnect loop.
        try
        {
            handler?.Invoke(this, args);
        }
        catch (Exception)
        {
        }
    }

    private static void ValidateTopicName(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (topic.AsSpan().IndexOfAny('+', '#') >= 0)
            throw new ArgumentException($"Topic name '{topic}' must not contain wildcards.", nameof(topic));
    }

    private static void ValidateTopicFilter(string filter)
    {
        ArgumentException.ThrowIfNullOrEmpty(filter);
        var hash = filter.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0 && (hash != filter.Length - 1 || (hash > 0 && filter[hash - 1] != '/')))
            throw new ArgumentException($"In topic filter '{filter}', '#' must be the last level on its own.", nameof(filter));
        if (filter.StartsWith("$share/", StringComparison.Ordinal) && filter.Split('/', 3).Length < 3)
            throw new ArgumentException($"Shared subscription '{filter}' needs the form $share/group/filter.", nameof(filter));
    }
}
