using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;

namespace Iot.Fleet.Broker;

/// <summary>
/// One MQTTnet session of the fleet, opened by <see cref="FleetMqtt.OpenAsync"/>. Received messages queue here
/// unacknowledged: the caller acknowledges each (<c>AcknowledgeAsync</c>) once what it did with it is durable, in arrival
/// order (MQTT 4.6); the broker's in-flight limit bounds the queue. MQTTnet does not reconnect by itself: after a lost
/// connection <see cref="ReadAsync"/> throws, the caller's stage restarts and opens the session again, and the broker
/// sends everything that was not acknowledged once more.
/// </summary>
public sealed class FleetSession : IDisposable
{
    private readonly Channel<MqttApplicationMessageReceivedEventArgs> _received =
        Channel.CreateUnbounded<MqttApplicationMessageReceivedEventArgs>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationToken _stop;
    private readonly CancellationTokenSource _lost;

    internal FleetSession(string broker, ILogger logger, CancellationToken stop)
    {
        Broker = broker;
        _stop = stop;
        _lost = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            Interlocked.Increment(ref _waiting);
            _received.Writer.TryWrite(e);
            return Task.CompletedTask;
        };
        Client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected && !stop.IsCancellationRequested)
            {
                logger.LogWarning("MQTT connection to {Broker} lost: {Reason} {Error}", broker, e.Reason, e.Exception?.Message);
                _lost.Cancel();
            }
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();

    /// <summary>host:port, for log messages.</summary>
    public string Broker { get; }

    /// <summary>The next message. Throws <see cref="IOException"/> when the connection is lost, and
    /// <see cref="OperationCanceledException"/> when the fleet stops.</summary>
    public async ValueTask<MqttApplicationMessageReceivedEventArgs> ReadAsync()
    {
        try
        {
            var message = await _received.Reader.ReadAsync(_lost.Token);
            Interlocked.Decrement(ref _waiting);
            return message;
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            throw new IOException($"the MQTT connection to {Broker} was lost; what was not acknowledged comes again");
        }
    }

    /// <summary>Messages received and not yet read.</summary>
    public int Waiting => Volatile.Read(ref _waiting);
    // Counted here: the single-reader channel cannot count.
    private int _waiting;

    /// <summary>A message already queued, without waiting.</summary>
    public bool TryRead(out MqttApplicationMessageReceivedEventArgs message)
    {
        if (!_received.Reader.TryRead(out message!)) return false;
        Interlocked.Decrement(ref _waiting);
        return true;
    }

    /// <summary>Subscribes to every topic filter at <paramref name="qos"/>; a refusal, or a lower grant, throws.</summary>
    public async Task SubscribeAsync(IEnumerable<string> topicFilters, CancellationToken stop, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        var request = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in topicFilters) request.WithTopicFilter(filter, qos);
        var granted = await Client.SubscribeAsync(request.Build(), stop);
        if (granted.Items.FirstOrDefault(i => (int)i.ResultCode != (int)qos) is { } refused)
            throw new IOException($"the broker at {Broker} did not grant {refused.TopicFilter.Topic} at QoS {(int)qos}: {refused.ResultCode}");
    }

    /// <summary>Publishes at QoS 1 and returns on the broker's PUBACK; a refusal (5.0 reason code ≥ 0x80) throws.</summary>
    public async Task PublishAsync(string topic, byte[] payload, CancellationToken stop, bool retain = false)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build();
        var result = await Client.PublishAsync(message, stop);
        if (!result.IsSuccess) throw new IOException($"the broker at {Broker} refused a publish on {topic}: {result.ReasonCode} {result.ReasonString}");
    }

    /// <summary>Publishes JSON (UTF-8) like <see cref="PublishAsync(string, byte[], CancellationToken, bool)"/>.</summary>
    public Task PublishAsync(string topic, string payload, CancellationToken stop, bool retain = false) =>
        PublishAsync(topic, System.Text.Encoding.UTF8.GetBytes(payload), stop, retain);

    public void Dispose()
    {
        Client.Dispose();
        _lost.Dispose();
    }
}
