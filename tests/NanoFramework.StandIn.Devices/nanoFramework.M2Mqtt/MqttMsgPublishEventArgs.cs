// Mirrors nanoframework/nanoFramework.m2mqtt: M2Mqtt/Messages/MqttMsgPublishEventArgs.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt.Messages
{
    using System;

    public class MqttMsgPublishEventArgs : EventArgs
    {
        internal MqttMsgPublishEventArgs() { }
        public string Topic { get { throw new NotImplementedException(); } }
        public byte[] Message { get { throw new NotImplementedException(); } }
        public bool Retain { get { throw new NotImplementedException(); } }
    }
}
