using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Json;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// Events waiting for the broker (boot, tamper, sensor_fault, clock, config_applied), oldest first, one in
    /// flight at a time and removed only after its PUBACK, like the journal's records but in RAM: a reboot loses
    /// them, and when the outbox is full the oldest is dropped. Slots are allocated up front.
    /// </summary>
    public sealed class EventOutbox
    {
        private readonly byte[][] _slots;
        private readonly int[] _lengths;
        private readonly JsonWriter _scratch;
        private int _head;
        private int _count;
        private int _inflightId = -1;
        private long _sentAtMs;

        /// <summary>Creates an outbox of capacity events of at most slotBytes each.</summary>
        public EventOutbox(int capacity, int slotBytes)
        {
            if (capacity < 1 || slotBytes < 32) throw new ArgumentOutOfRangeException("capacity");
            _slots = new byte[capacity][];
            for (int i = 0; i < capacity; i++) _slots[i] = new byte[slotBytes];
            _lengths = new int[capacity];
            _scratch = new JsonWriter(new byte[slotBytes]);
        }

        /// <summary>Events waiting (including the one in flight).</summary>
        public int Count { get { return _count; } }

        /// <summary>Events dropped because the outbox was full.</summary>
        public int Dropped { get; private set; }

        /// <summary>Packet id of the event awaiting its PUBACK, or -1.</summary>
        public int InflightId { get { return _inflightId; } }

        /// <summary>A writer for the next event; call Commit when it is complete.</summary>
        public JsonWriter Begin()
        {
            _scratch.Reset();
            return _scratch;
        }

        /// <summary>Queues the event written since Begin (dropping the oldest when full); false if it overflowed.</summary>
        public bool Commit()
        {
            if (_scratch.Overflowed || _scratch.Length == 0) return false;
            if (_count == _slots.Length)
            {
                if (_inflightId >= 0) _inflightId = -1;
                _head = (_head + 1) % _slots.Length;
                _count--;
                Dropped++;
            }
            int at = (_head + _count) % _slots.Length;
            Array.Copy(_scratch.Buffer, 0, _slots[at], 0, _scratch.Length);
            _lengths[at] = _scratch.Length;
            _count++;
            return true;
        }

        /// <summary>Removes the event in flight if packetId is its PUBACK; false when the id is not ours.</summary>
        public bool Acknowledge(int packetId)
        {
            if (_inflightId < 0 || packetId != _inflightId) return false;
            _inflightId = -1;
            _head = (_head + 1) % _slots.Length;
            _count--;
            return true;
        }

        /// <summary>Sends the oldest event when nothing is in flight (or its PUBACK is overdue, or the session was lost).</summary>
        public void Step(IMqttLink mqtt, string topic, long nowMs, int ackTimeoutMs)
        {
            if (!mqtt.IsConnected)
            {
                _inflightId = -1;
                return;
            }
            if (_count == 0) return;
            if (_inflightId >= 0 && nowMs - _sentAtMs < ackTimeoutMs) return;
            _inflightId = mqtt.Publish(topic, _slots[_head], _lengths[_head], false);
            _sentAtMs = nowMs;
        }

        /// <summary>Forgets the event in flight so that it is sent again (a new session began).</summary>
        public void Resend()
        {
            _inflightId = -1;
        }
    }
}
