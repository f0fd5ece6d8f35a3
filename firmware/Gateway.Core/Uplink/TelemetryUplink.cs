using System;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Gateway.Hardware;
using Iot.Gateway.Journal;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Uplink
{
    /// <summary>
    /// Drains the journal to the broker, oldest first, one envelope in flight at a time (late records on the backfill
    /// topic, the others on telemetry): a batch is removed
    /// from the journal only when its PUBACK arrives; after a disconnect or a PUBACK timeout the same records
    /// are sent again (the fleet de-duplicates by dev and seq). Call Step from the main loop.
    /// <para>
    /// After a firmware change (SetFirmwareBoundary), records below the boundary sequence number were measured by the
    /// previous version: they go out in envelopes of their own labelled with that version (without `fw` when it is
    /// unknown), never together with the running version's records, and they do not count as EvidenceDelivered, which
    /// is what the running version's trial needs.
    /// </para>
    /// </summary>
    public sealed class TelemetryUplink
    {
        private readonly IMqttLink _mqtt;
        private readonly RecordJournal _journal;
        private readonly IClock _clock;
        private readonly JsonWriter _writer;
        private readonly MinuteRecord[] _batch;
        private readonly string _topic;
        private readonly string _backfillTopic;
        private readonly string _dev;
        private readonly string _firmware;
        private readonly uint _boot;
        private HmacSha256 _mac;
        private uint _boundarySeq;
        private string _previousFirmware;
        private readonly int _ackTimeoutMs;
        private int _liveDelaySeconds;
        private long _holdFromUtc;
        private long _holdUntilUtc;
        private int _inflightId = -1;
        private int _inflightCount;
        private long _sentAtMs;

        /// <summary>
        /// Creates the uplink. batchSize and the envelope buffer bound the RAM it uses (a device with ~110 KB
        /// of heap cannot afford 200 records and 16 KiB at once); the envelope limits still apply on top.
        /// </summary>
        public TelemetryUplink(IMqttLink mqtt, RecordJournal journal, IClock clock, DeviceTopics topics, string dev, string firmware, uint boot,
            int batchSize, byte[] envelopeBuffer, int ackTimeoutMs)
        {
            if (mqtt == null || journal == null || clock == null || topics == null) throw new ArgumentNullException("mqtt");
            if (batchSize < 1 || batchSize > TelemetryEncoder.MaxRecords) throw new ArgumentOutOfRangeException("batchSize");
            _mqtt = mqtt;
            _journal = journal;
            _clock = clock;
            _topic = topics.Telemetry;
            _backfillTopic = topics.Backfill;
            _dev = dev;
            _firmware = firmware;
            _boot = boot;
            _ackTimeoutMs = ackTimeoutMs;
            _writer = new JsonWriter(envelopeBuffer);
            _batch = new MinuteRecord[batchSize];
            for (int i = 0; i < batchSize; i++) _batch[i] = new MinuteRecord();
        }

        /// <summary>
        /// Declares that records with seq below boundarySeq were measured by previousFirmware (null when unknown), not by
        /// the running version; boundarySeq 0 means there is no such boundary.
        /// </summary>
        public void SetFirmwareBoundary(uint boundarySeq, string previousFirmware)
        {
            _boundarySeq = boundarySeq;
            _previousFirmware = previousFirmware;
        }

        /// <summary>
        /// From now on every envelope carries `mac`, the HMAC-SHA256 of its bytes under this device's evidence key
        /// (agreed at claim, or configured for a directly registered device); null sends envelopes without it again.
        /// Allocates once, here.
        /// </summary>
        public void UseEvidenceKey(byte[] key)
        {
            _mac = key == null ? null : new HmacSha256(key);
        }

        /// <summary>
        /// Holds a fresh minute back until this many seconds after its window closed (0 to 59; 0 sends at once). Every
        /// gateway's clock closes the minute at the same instant, so a city's gateways would all publish in the same second;
        /// a per-device offset (GatewayRuntime derives it from the device id) spreads them over the minute. Late records
        /// (after an outage) are not held.
        /// </summary>
        public void SpreadLiveRecords(int delaySeconds)
        {
            if (delaySeconds < 0 || delaySeconds > 59) throw new ArgumentOutOfRangeException("delaySeconds");
            _liveDelaySeconds = delaySeconds;
        }

        /// <summary>True when envelopes carry a MAC.</summary>
        public bool Authenticated { get { return _mac != null; } }

        /// <summary>True while an envelope waits for its PUBACK.</summary>
        public bool InFlight { get { return _inflightId >= 0; } }

        /// <summary>Records delivered (acknowledged) since start.</summary>
        public int Delivered { get; private set; }

        /// <summary>
        /// Delivered records of the running firmware (at or after the firmware boundary) without a not-evidence quality
        /// bit: what an update on trial must achieve.
        /// </summary>
        public int EvidenceDelivered { get; private set; }

        /// <summary>Processes PUBACKs, then sends the next batch if nothing is in flight; returns records sent now.</summary>
        public int Step()
        {
            int packetId;
            while (_mqtt.TryTakeAcknowledged(out packetId))
            {
                if (packetId != _inflightId) continue;
                Delivered += _journal.Acknowledge(_inflightCount);
                for (int i = 0; i < _inflightCount; i++)
                {
                    if ((_batch[i].Q & QualityBits.NotEvidence) == 0 && !BeforeBoundary(_batch[i].Seq)) EvidenceDelivered++;
                }
                _inflightId = -1;
            }

            if (!_mqtt.IsConnected)
            {
                _inflightId = -1; // the session is gone: its PUBACK will never come, send again later
                return 0;
            }
            if (InFlight && _clock.MonotonicMs - _sentAtMs < _ackTimeoutMs) return 0;
            _inflightId = -1;
            if (_journal.Pending == 0) return 0;
            long now = _clock.UtcSeconds;
            if (now >= _holdFromUtc && now < _holdUntilUtc) return 0; // without reading the flash again

            int peeked = _journal.Peek(_batch, _batch.Length);
            if (peeked == 0) return 0;
            if (_liveDelaySeconds > 0)
            {
                // Held only from the window's close to its offset: a clock set back (an NTP correction) never holds a
                // record until the clock reaches it again.
                long closed = _batch[0].T + _batch[0].Dur;
                long due = closed + _liveDelaySeconds;
                if (now >= closed && now < due)
                {
                    _holdFromUtc = closed;
                    _holdUntilUtc = due;
                    return 0;
                }
            }
            // One envelope carries one fw: stop at the firmware boundary (the journal returns records oldest first).
            bool older = BeforeBoundary(_batch[0].Seq);
            int take = 1;
            while (take < peeked && BeforeBoundary(_batch[take].Seq) == older) take++;
            int count = TelemetryEncoder.WriteEnvelope(_writer, _dev, older ? _previousFirmware : _firmware, _boot, _batch, 0, take, now, _mac);
            if (count == 0) return 0;

            // Late records (oldest first: when the first is not late, none is) go on the backfill topic, which the fleet
            // reads apart from live ones, so a whole city's replay after an outage never delays a live breach.
            string topic = QualityBits.IsLate(_batch[0].T, _batch[0].Dur, now) ? _backfillTopic : _topic;
            int id = _mqtt.Publish(topic, _writer.Buffer, _writer.Length, false);
            if (id < 0) return 0;
            _inflightId = id;
            _inflightCount = count;
            _sentAtMs = _clock.MonotonicMs;
            return count;
        }

        private bool BeforeBoundary(uint seq)
        {
            return _boundarySeq != 0 && seq < _boundarySeq;
        }
    }
}
