namespace Iot.Gateway.Hardware
{
    /// <summary>
    /// Messages the broker sends to the device (the retained configuration), polled from the main loop like
    /// PUBACKs. Usually implemented by the same adapter as IMqttLink.
    /// </summary>
    public interface IMqttInbox
    {
        /// <summary>Subscribes at QoS 1 to one topic; called after every new session. True when the request went out.</summary>
        bool Subscribe(string topic);

        /// <summary>
        /// Takes the next received message: copies as much of its payload as fits into buffer and returns the
        /// payload's full length (more than buffer.Length means it was cut), or -1 when nothing is waiting.
        /// </summary>
        int TryTakeMessage(byte[] buffer, out string topic);
    }
}
