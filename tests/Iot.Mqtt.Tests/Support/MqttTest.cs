using System.Text;
using Iot.Stack;

namespace Iot.Mqtt.Tests.Support;

/// <summary>Small helpers shared by the interop tests.</summary>
internal static class MqttTest
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 23)];

    public static MqttClientOptions Options(MosquittoBroker broker, MqttProtocolVersion version, string clientId) => Options(broker.Port, version, clientId);

    public static MqttClientOptions Options(int port, MqttProtocolVersion version, string clientId) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ProtocolVersion = version,
        ClientId = clientId,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
    };

    public static async Task<MqttClient> ConnectAsync(MqttClientOptions options)
    {
        var client = new MqttClient(options);
        await client.ConnectAsync();
        return client;
    }

    public static async Task<MqttMessage> ReceiveAsync(this MqttClient client)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await client.Messages.ReadAsync(cts.Token);
    }

    public static string Text(this MqttMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Waits for a condition that another task makes true, failing after <see cref="Timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }
}
