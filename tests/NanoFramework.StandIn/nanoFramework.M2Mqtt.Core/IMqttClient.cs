// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: nanoFramework.M2Mqtt.Core/IMqttClient.cs
// (the delegate types MqttClient.cs declares its events with: IMqttClient.MqttMsgPublishedEventHandler, ...).
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt
{
    using System;
    using nanoFramework.M2Mqtt.Messages;

    public interface IMqttClient
    {
        delegate void MqttMsgPublishEventHandler(object sender, MqttMsgPublishEventArgs e);

        delegate void MqttMsgPublishedEventHandler(object sender, MqttMsgPublishedEventArgs e);

        delegate void ConnectionClosedEventHandler(object sender, EventArgs e);

        bool IsConnected { get; }
    }
}
