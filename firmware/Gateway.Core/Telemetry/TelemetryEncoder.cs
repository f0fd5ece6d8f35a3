using Iot.Contract;
using Iot.Contract.Signing;
using Iot.Gateway.Json;

namespace Iot.Gateway.Telemetry
{
    /// <summary>
    /// JSON documents of wire protocol v1 (shared/spec/wire-protocol.md): the telemetry envelope
    /// (1 to 200 records, at most 16 KiB, oldest first), the retained status, and events.
    /// </summary>
    public static class TelemetryEncoder
    {
        /// <summary>Protocol version written as "v".</summary>
        public const int Version = WireLimits.Version;
        /// <summary>Most records in one envelope.</summary>
        public const int MaxRecords = WireLimits.MaxRecordsPerMessage;
        /// <summary>Largest envelope in bytes (16 KiB).</summary>
        public const int MaxBytes = WireLimits.MaxPayloadBytes;
        /// <summary>Bytes the MAC adds at the end: <c>,"mac":"</c> + 64 hex digits + <c>"}</c> replace the closing <c>}</c>.</summary>
        public const int MacSuffixBytes = 8 + 2 * HmacSha256.MacBytes + 2;

        /// <summary>
        /// Writes an envelope with as many of records[start..start+count) as fit in 200 records and 16 KiB;
        /// returns how many it took (0 means nothing could be written and nothing must be sent).
        /// Records late by more than QualityBits.BackfillAfterSeconds at nowUtc carry the backfill bit.
        /// fw is the version that measured the records; null leaves `fw` out (not known).
        /// </summary>
        public static int WriteEnvelope(JsonWriter w, string dev, string fw, uint boot, MinuteRecord[] records, int start, int count, long nowUtc)
        {
            return WriteEnvelope(w, dev, fw, boot, records, start, count, nowUtc, null);
        }

        /// <summary>
        /// As above; with an evidence key (mac not null) the envelope ends in <c>,"mac":"{hex}"}</c> instead of <c>}</c>,
        /// where {hex} is the lower-case hex HMAC-SHA256 of every byte written before that comma: from the opening
        /// <c>{</c> through the <c>]</c> closing <c>recs</c> (Telemetry/README.md). Allocation-free.
        /// </summary>
        public static int WriteEnvelope(JsonWriter w, string dev, string fw, uint boot, MinuteRecord[] records, int start, int count, long nowUtc, HmacSha256 mac)
        {
            BeginDocument(w, dev);
            if (fw != null)
            {
                w.Name("fw");
                w.String(fw);
            }
            w.Name("boot");
            w.Number(boot);
            w.Name("recs");
            w.BeginArray();

            int limit = count < MaxRecords ? count : MaxRecords;
            int written = 0;
            int tail = mac == null ? 2 : 1 + MacSuffixBytes;
            for (int i = 0; i < limit; i++)
            {
                int mark = w.Mark();
                WriteRecord(w, records[start + i], nowUtc);
                // Keep room for the closing "]}" (and the MAC).
                if (w.Overflowed || w.Length + tail > MaxBytes || w.Length + tail > w.Buffer.Length)
                {
                    w.Rewind(mark);
                    break;
                }
                written++;
            }

            w.EndArray();
            if (mac != null && !w.Overflowed)
            {
                byte[] tag = mac.Compute(w.Buffer, 0, w.Length);
                w.Name("mac");
                w.HexString(tag, 0, HmacSha256.MacBytes);
            }
            w.EndObject();
            if (written == 0 || w.Overflowed) return 0;
            return written;
        }

        /// <summary>Starts every device document the same way: {"v":1,"dev":"{id}".</summary>
        private static void BeginDocument(JsonWriter w, string dev)
        {
            w.Reset();
            w.BeginObject();
            w.Name("v");
            w.Number(Version);
            w.Name("dev");
            w.String(dev);
        }

        /// <summary>Writes one record object; absent channels are left out.</summary>
        public static void WriteRecord(JsonWriter w, MinuteRecord r, long nowUtc)
        {
            w.BeginObject();
            w.Name("seq");
            w.Number(r.Seq);
            w.Name("t");
            w.Number(r.T);
            w.Name("dur");
            w.Number(r.Dur);
            w.Name("q");
            w.Number(QualityBits.ForSending(r.Q, r.T, r.Dur, nowUtc));
            w.Name("m");
            w.BeginObject();
            for (int c = 0; c < Channel.Count; c++)
            {
                if (!r.Has(c)) continue;
                w.Name(Channel.Name(c));
                w.Number(r.Get(c), Channel.Decimals(c));
            }
            w.EndObject();
            w.EndObject();
        }

        /// <summary>Writes the retained status document.</summary>
        public static void WriteStatus(JsonWriter w, string dev, string fw, uint boot, long uptimeSeconds, int rssi, int freeHeap, bool clockSynced, int buffered)
        {
            BeginDocument(w, dev);
            w.Name("online");
            w.Bool(true);
            w.Name("fw");
            w.String(fw);
            w.Name("boot");
            w.Number(boot);
            w.Name("uptime");
            w.Number(uptimeSeconds);
            w.Name("rssi");
            w.Number(rssi);
            w.Name("heap");
            w.Number(freeHeap);
            w.Name("clock");
            w.String(clockSynced ? "synced" : "unsynced");
            w.Name("buffered");
            w.Number(buffered);
            w.EndObject();
        }

        /// <summary>Writes the MQTT will message: {"v":1,"dev":"{id}","online":false}.</summary>
        public static void WriteOfflineWill(JsonWriter w, string dev)
        {
            BeginDocument(w, dev);
            w.Name("online");
            w.Bool(false);
            w.EndObject();
        }

        /// <summary>Longest fault message an event carries (the event outbox's slots are 256 bytes).</summary>
        public const int MaxFaultMessage = 64;

        /// <summary>
        /// Writes the boot event: why the device started, its boot number, whether the previous run ended cleanly,
        /// the running version, the records waiting in the journal and whether the enclosure is open.
        /// </summary>
        public static void WriteBootEvent(JsonWriter w, string dev, long t, string reason, uint boot, bool clean, string fw, int buffered, bool tamperOpen)
        {
            BeginEvent(w, dev, t, EventType.Boot);
            w.Name("reason");
            w.String(reason);
            w.Name("boot");
            w.Number(boot);
            w.Name("clean");
            w.Bool(clean);
            w.Name("fw");
            w.String(fw);
            w.Name("buffered");
            w.Number(buffered);
            w.Name("tamper");
            w.Bool(tamperOpen);
            EndEvent(w);
        }

        /// <summary>Writes the tamper event: the enclosure opened (open) or closed.</summary>
        public static void WriteTamperEvent(JsonWriter w, string dev, long t, bool open)
        {
            WriteFlagEvent(w, dev, t, EventType.Tamper, "open", open);
        }

        /// <summary>Writes the sensor_fault event of one sensor: failing (ok false, with why) or answering again (reason null).</summary>
        public static void WriteSensorFaultEvent(JsonWriter w, string dev, long t, string sensor, bool ok, string reason)
        {
            BeginEvent(w, dev, t, EventType.SensorFault);
            w.Name("sensor");
            w.String(sensor);
            w.Name("ok");
            w.Bool(ok);
            OptionalString(w, "reason", reason);
            EndEvent(w);
        }

        /// <summary>
        /// Writes the project-defined fault event: the main loop fails (ok false, error = the failure's message, cut to
        /// MaxFaultMessage; null writes none) or works again, with the failing ticks in a row and the failed ticks since boot.
        /// </summary>
        public static void WriteFaultEvent(JsonWriter w, string dev, long t, bool ok, string error, int failing, int failed)
        {
            BeginEvent(w, dev, t, EventType.Fault);
            w.Name("ok");
            w.Bool(ok);
            if (error != null && error.Length > MaxFaultMessage) error = error.Substring(0, MaxFaultMessage);
            OptionalString(w, "error", error);
            w.Name("failing");
            w.Number(failing);
            w.Name("failed");
            w.Number(failed);
            EndEvent(w);
        }

        /// <summary>Writes the clock event: the clock was set (synced) or lost synchronisation.</summary>
        public static void WriteClockEvent(JsonWriter w, string dev, long t, bool synced)
        {
            WriteFlagEvent(w, dev, t, EventType.Clock, "synced", synced);
        }

        /// <summary>Writes the config_applied event: the document is in force (error null) or refused with why.</summary>
        public static void WriteConfigAppliedEvent(JsonWriter w, string dev, long t, string error)
        {
            BeginEvent(w, dev, t, EventType.ConfigApplied);
            w.Name("ok");
            w.Bool(error == null);
            OptionalString(w, "error", error);
            EndEvent(w);
        }

        /// <summary>Writes an ota event's download progress: percent, bytes staged of size, and the running version.</summary>
        public static void WriteOtaProgressEvent(JsonWriter w, string dev, long t, string id, string phase, string version, string from,
            int percent, int bytes, int size, string running)
        {
            BeginOtaEvent(w, dev, t, id, phase, version, from);
            w.Name("percent");
            w.Number(percent);
            w.Name("bytes");
            w.Number(bytes);
            w.Name("size");
            w.Number(size);
            w.Name("running");
            w.String(running);
            EndEvent(w);
        }

        /// <summary>
        /// Writes an ota event of a phase: why (reason; null writes none), the trial boots so far and the trial's
        /// deadline in seconds (each -1 writes none), and the running version.
        /// </summary>
        public static void WriteOtaEvent(JsonWriter w, string dev, long t, string id, string phase, string version, string from,
            string reason, int trialBoots, int deadlineSeconds, string running)
        {
            BeginOtaEvent(w, dev, t, id, phase, version, from);
            OptionalString(w, "reason", reason);
            if (trialBoots >= 0)
            {
                w.Name("trial_boots");
                w.Number(trialBoots);
            }
            if (deadlineSeconds >= 0)
            {
                w.Name("deadline_s");
                w.Number(deadlineSeconds);
            }
            w.Name("running");
            w.String(running);
            EndEvent(w);
        }

        // The fields every ota event starts with: the update's id, its phase, the version it installs and, when known, the one it replaces.
        private static void BeginOtaEvent(JsonWriter w, string dev, long t, string id, string phase, string version, string from)
        {
            BeginEvent(w, dev, t, EventType.Ota);
            w.Name("id");
            w.String(id);
            w.Name("phase");
            w.String(phase);
            w.Name("version");
            w.String(version);
            OptionalString(w, "from", from);
        }

        // An event whose data is one true-or-false field.
        private static void WriteFlagEvent(JsonWriter w, string dev, long t, string type, string name, bool value)
        {
            BeginEvent(w, dev, t, type);
            w.Name(name);
            w.Bool(value);
            EndEvent(w);
        }

        // A text field that is left out when there is nothing to say.
        private static void OptionalString(JsonWriter w, string name, string value)
        {
            if (value == null) return;
            w.Name(name);
            w.String(value);
        }

        /// <summary>Starts an event up to and including the opening of "data"; write the data fields, then call EndEvent.</summary>
        public static void BeginEvent(JsonWriter w, string dev, long t, string type)
        {
            BeginDocument(w, dev);
            w.Name("t");
            w.Number(t);
            w.Name("type");
            w.String(type);
            w.Name("data");
            w.BeginObject();
        }

        /// <summary>Closes an event started with BeginEvent.</summary>
        public static void EndEvent(JsonWriter w)
        {
            w.EndObject();
            w.EndObject();
        }
    }
}
