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
