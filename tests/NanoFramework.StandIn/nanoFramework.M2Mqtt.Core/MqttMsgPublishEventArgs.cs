// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: nanoFramework.M2Mqtt.Core/Messages/MqttMsgPublishEventArgs.cs
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
