using Iot.Gateway.Hardware;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// The MQTT link as TelemetryUplink sees it: the runtime takes every PUBACK from the real link first,
    /// keeps those of its events, and queues the rest here for the uplink (which would discard ids not its own).
    /// </summary>
    internal sealed class AckRouter : IMqttLink
    {
        private readonly IMqttLink _link;
        private readonly int[] _ids = new int[64];
        private int _head;
        private int _count;

        public AckRouter(IMqttLink link)
        {
            _link = link;
        }

        public bool IsConnected { get { return _link.IsConnected; } }

        public bool LoginRefused { get { return _link.LoginRefused; } }

        public bool Connect(string userName, string password, bool will)
        {
            return _link.Connect(userName, password, will);
        }

        public void Disconnect()
        {
            _link.Disconnect();
        }

        public int Publish(string topic, byte[] payload, int length, bool retain)
        {
            return _link.Publish(topic, payload, length, retain);
        }

        public void Enqueue(int packetId)
        {
            // Only one envelope is in flight; on overflow the oldest ids are stale anyway.
            if (_count == _ids.Length)
            {
                _head = (_head + 1) % _ids.Length;
                _count--;
            }
            _ids[(_head + _count) % _ids.Length] = packetId;
            _count++;
        }

        public bool TryTakeAcknowledged(out int packetId)
        {
            if (_count == 0)
            {
                packetId = -1;
                return false;
            }
            packetId = _ids[_head];
            _head = (_head + 1) % _ids.Length;
            _count--;
            return true;
        }
    }
}
