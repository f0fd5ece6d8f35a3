using System.Text;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Iot.Testing;

/// <summary>
/// A test's MQTT client on MQTTnet, the library the fleet and the gateways use: it connects, publishes at QoS 1,
/// subscribes, and queues every message it receives (acknowledged on arrival) for the test to read. MQTTnet reports a
/// refused login in the CONNACK result and a refused publish or subscription in its reason code, not as an exception,
/// so the Try methods return those codes for tests that prove the broker refuses.
/// </summary>
public sealed class TestMqttClient : IAsyncDisposable
{
    /// <summary>How long a test waits for the broker: connecting, an acknowledgement, a message.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Channel<MqttApplicationMessage> _received = Channel.CreateUnbounded<MqttApplicationMessage>();
    /// <summary>QoS 1 publishes awaiting their PUBACK at once: MQTTnet has no window of its own, and more than 65,535
    /// at once would reuse packet ids (a benchmark starts hundreds of thousands together).</summary>
    private readonly SemaphoreSlim _window = new(1000);
    private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _closing;

    public TestMqttClient()
    {
        Client.ApplicationMessageReceivedAsync += e => _received.Writer.WriteAsync(e.ApplicationMessage).AsTask();
        Client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected && !_closing) _lost.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();

    public bool IsConnected => Client.IsConnected;

    /// <summary>Received messages in arrival order; completed when the client is disposed.</summary>
    public ChannelReader<MqttApplicationMessage> Messages => _received.Reader;

    /// <summary>Completes when the broker (or the network) ends the connection; never when the test ends it.</summary>
    public Task<MqttClientDisconnectedEventArgs> Lost => _lost.Task;

    /// <summary>Options for a client of the broker at host:port (MQTT 5.0 unless told).</summary>
    public static MqttClientOptionsBuilder Options(string host, int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500) =>
        new MqttClientOptionsBuilder().WithTcpServer(host, port).WithClientId(clientId).WithProtocolVersion(version).WithTimeout(Timeout);

    /// <summary>Connects and returns the broker's answer; a refused login is a result code, a TLS failure throws.</summary>
    public Task<MqttClientConnectResult> TryConnectAsync(MqttClientOptions options) => Client.ConnectAsync(options);

    /// <summary>A new client, connected; a refusal throws.</summary>
    public static async Task<TestMqttClient> ConnectAsync(MqttClientOptions options)
    {
        var client = new TestMqttClient();
        try
        {
            var result = await client.TryConnectAsync(options);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                throw new IOException($"the broker refused {options.ClientId}: {result.ResultCode} {result.ReasonString}");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new anonymous MQTT 5.0 client of the broker at host:port, connected.</summary>
    public static Task<TestMqttClient> ConnectAsync(string host, int port, string clientId) => ConnectAsync(Options(host, port, clientId).Build());

    /// <summary>Publishes at QoS 1 and returns null when the broker acknowledged, else its reason code. MQTT 3.1.1 has no
    /// way to refuse a publish, so there a forbidden one is acknowledged (and dropped by the broker).</summary>
    public async Task<MqttClientPublishReasonCode?> TryPublishAsync(string topic, ReadOnlyMemory<byte> payload, bool retain = false)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build();
        await _window.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var result = await Client.PublishAsync(message, timeout.Token);
            return result.IsSuccess ? null : result.ReasonCode;
        }
        finally
        {
            _window.Release();
        }
    }

    /// <summary>Publishes UTF-8 text like <see cref="TryPublishAsync(string, ReadOnlyMemory{byte}, bool)"/>.</summary>
    public Task<MqttClientPublishReasonCode?> TryPublishAsync(string topic, string payload = "x", bool retain = false) =>
        TryPublishAsync(topic, Encoding.UTF8.GetBytes(payload), retain);

    /// <summary>Publishes at QoS 1 and returns on the broker's PUBACK; a refusal throws.</summary>
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, bool retain = false)
    {
        if (await TryPublishAsync(topic, payload, retain) is { } refused) throw new IOException($"the broker refused a publish on {topic}: {refused}");
    }

    /// <summary>Publishes UTF-8 text like <see cref="PublishAsync(string, ReadOnlyMemory{byte}, bool)"/>.</summary>
    public Task PublishAsync(string topic, string payload, bool retain = false) => PublishAsync(topic, Encoding.UTF8.GetBytes(payload), retain);

    /// <summary>Subscribes to each filter at QoS 1 and returns what the broker granted, filter by filter.</summary>
    public async Task<IReadOnlyList<MqttClientSubscribeResultCode>> SubscribeAsync(params string[] topicFilters)
    {
        var request = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in topicFilters) request.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        using var timeout = new CancellationTokenSource(Timeout);
        var result = await Client.SubscribeAsync(request.Build(), timeout.Token);
        return result.Items.Select(i => i.ResultCode).ToArray();
    }

    /// <summary>The next message, waiting at most <see cref="Timeout"/>.</summary>
    public async Task<MqttApplicationMessage> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        return await Messages.ReadAsync(timeout.Token);
    }

    /// <summary>The topics received up to and including <paramref name="marker"/>: a message the test sent after the
    /// one that must not arrive, so "not received" is known without waiting for a timeout.</summary>
    public async Task<List<string>> TopicsUntilAsync(string marker)
    {
        var topics = new List<string>();
        while (true)
        {
            var message = await ReceiveAsync();
            topics.Add(message.Topic);
            if (message.Topic == marker) return topics;
        }
    }

    /// <summary>Ends the session with a DISCONNECT (no will).</summary>
    public async Task DisconnectAsync()
    {
        _closing = true;
        if (Client.IsConnected) await Client.DisconnectAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DisconnectAsync();
        }
        catch (Exception)
        {
            // Already gone.
        }
        Client.Dispose();
        _window.Dispose();
        _received.Writer.TryComplete();
    }
}
