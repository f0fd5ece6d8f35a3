// Mirrors nanoframework/nanoFramework.m2mqtt at tag v5.1.220: nanoFramework.M2Mqtt.Core/Messages/MqttMsgPublishedEventArgs.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.M2Mqtt.Messages
{
    using System;

    public class MqttMsgPublishedEventArgs : EventArgs
    {
        public MqttMsgPublishedEventArgs(ushort messageId, bool isPublished) { }
        public ushort MessageId { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
        public bool IsPublished { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
    }
}
