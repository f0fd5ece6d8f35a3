using Iot.Contract;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Configuration
{
    /// <summary>What a gateway measures, which decides the channels it must deliver.</summary>
    public enum SiteKind
    {
        /// <summary>Construction noise.</summary>
        Noise = 0,
        /// <summary>Construction dust.</summary>
        Dust = 1,
        /// <summary>Restaurant cooking fume.</summary>
        Fume = 2
    }

    /// <summary>Reads the wire names of the site kinds (<see cref="Iot.Contract.SiteKinds"/>).</summary>
    public static class SiteKindReader
    {
        /// <summary>Reads the string token the reader is on as a site kind; false for an unknown name.</summary>
        public static bool TryRead(JsonReader r, out SiteKind kind)
        {
            kind = SiteKind.Noise;
            if (r.ValueEquals(Iot.Contract.SiteKinds.Noise)) return true;
            kind = SiteKind.Dust;
            if (r.ValueEquals(Iot.Contract.SiteKinds.Dust)) return true;
            kind = SiteKind.Fume;
            return r.ValueEquals(Iot.Contract.SiteKinds.Fume);
        }
    }

    /// <summary>Hysteresis and calibration of one current transformer.</summary>
    public sealed class CurrentSensorSettings
    {
        /// <summary>Current at or above which the load counts as running, A.</summary>
        public double OnAmps = 0.5;
        /// <summary>Current at or below which it counts as stopped again, A (below OnAmps).</summary>
        public double OffAmps = 0.3;
        /// <summary>Calibration: amps per ADC count of RMS.</summary>
        public double AmpsPerCount = 0.01;

        internal void CopyFrom(CurrentSensorSettings other)
        {
            OnAmps = other.OnAmps;
            OffAmps = other.OffAmps;
            AmpsPerCount = other.AmpsPerCount;
        }
    }

    /// <summary>
    /// The device configuration the fleet publishes, retained, on iot/v1/{id}/config (project-defined):
    /// <c>{"v":1,"site":"fume","meter":{"slave":1,"baud":9600,"timeout_ms":200,"retries":2},
    /// "fan":{"on_a":0.5,"off_a":0.3,"a_per_count":0.01},"pur":{...},"status_s":300,"maint":false}</c>.
    /// Only "v" and "site" are required; unknown members are ignored so that newer fleets can add fields.
    /// </summary>
    public sealed class GatewayConfig
    {
        /// <summary>What the site measures.</summary>
        public SiteKind Site = SiteKind.Noise;
        /// <summary>Modbus slave address of the meter, 1..247.</summary>
        public int MeterSlave = 1;
        /// <summary>Meter baud rate.</summary>
        public int MeterBaud = 9600;
        /// <summary>Modbus response timeout, ms.</summary>
        public int MeterTimeoutMs = 200;
        /// <summary>Modbus retries after the first attempt.</summary>
        public int MeterRetries = 2;
        /// <summary>Exhaust fan current transformer.</summary>
        public readonly CurrentSensorSettings Fan = new CurrentSensorSettings();
        /// <summary>Purifier current transformer.</summary>
        public readonly CurrentSensorSettings Purifier = new CurrentSensorSettings();
        /// <summary>Seconds between status publications.</summary>
        public int StatusIntervalSeconds = 300;
        /// <summary>Maintenance or calibration mode: every record carries quality bit 8 ("maint": true).</summary>
        public bool Maintenance;

        /// <summary>Channels this site must deliver every minute (missing ones set the sensor-fault bit).</summary>
        public int ExpectedChannels
        {
            get
            {
                switch (Site)
                {
                    case SiteKind.Dust:
                        return Channel.Bit(Channel.Pm10) | Channel.Bit(Channel.Pm25);
                    case SiteKind.Fume:
                        return Channel.Bit(Channel.Fume) | Channel.Bit(Channel.Fan) | Channel.Bit(Channel.Pur);
                    default:
                        return Channel.Bit(Channel.Laeq) | Channel.Bit(Channel.Lafmax);
                }
            }
        }

        /// <summary>Copies every setting of other.</summary>
        public void CopyFrom(GatewayConfig other)
        {
            Site = other.Site;
            MeterSlave = other.MeterSlave;
            MeterBaud = other.MeterBaud;
            MeterTimeoutMs = other.MeterTimeoutMs;
            MeterRetries = other.MeterRetries;
            Fan.CopyFrom(other.Fan);
            Purifier.CopyFrom(other.Purifier);
            StatusIntervalSeconds = other.StatusIntervalSeconds;
            Maintenance = other.Maintenance;
        }

        /// <summary>
        /// Parses and validates a configuration document into this object. On failure returns a short reason
        /// and leaves this object in an unspecified state (parse into a scratch instance, then CopyFrom).
        /// </summary>
        public string Parse(byte[] json, int offset, int count)
        {
            var r = new JsonReader(json, offset, count);
            if (r.Read() != JsonToken.BeginObject) return "not a JSON object";
            bool haveVersion = false;
            bool haveSite = false;
            while (true)
            {
                JsonToken t = r.Read();
                if (t == JsonToken.EndObject) break;
                if (t != JsonToken.PropertyName) return "malformed JSON";

                if (r.ValueEquals("v"))
                {
                    if (r.Read() != JsonToken.Number || r.NumberValue != 1) return "unsupported version";
                    haveVersion = true;
                }
                else if (r.ValueEquals("site"))
                {
                    if (r.Read() != JsonToken.String) return "site must be a string";
                    SiteKind site;
                    if (!SiteKindReader.TryRead(r, out site)) return "unknown site kind";
                    Site = site;
                    haveSite = true;
                }
                else if (r.ValueEquals("meter"))
                {
                    string error = ParseMeter(r);
                    if (error != null) return error;
                }
                else if (r.ValueEquals("fan"))
                {
                    string error = ParseCurrentSensor(r, Fan, "fan");
                    if (error != null) return error;
                }
                else if (r.ValueEquals("pur"))
                {
                    string error = ParseCurrentSensor(r, Purifier, "pur");
                    if (error != null) return error;
                }
                else if (r.ValueEquals("status_s"))
                {
                    if (!ReadInt(r, 10, 86400, out StatusIntervalSeconds)) return "status_s out of range";
                }
                else if (r.ValueEquals("maint"))
                {
                    JsonToken b = r.Read();
                    if (b != JsonToken.True && b != JsonToken.False) return "maint must be true or false";
                    Maintenance = b == JsonToken.True;
                }
                else
                {
                    r.Read();
                    if (!r.SkipValue()) return "malformed JSON";
                }
            }
            if (r.Read() != JsonToken.End) return "malformed JSON";
            if (!haveVersion) return "missing v";
            if (!haveSite) return "missing site";
            return null;
        }

        private string ParseMeter(JsonReader r)
        {
            if (r.Read() != JsonToken.BeginObject) return "meter must be an object";
            while (true)
            {
                JsonToken t = r.Read();
                if (t == JsonToken.EndObject) return null;
                if (t != JsonToken.PropertyName) return "malformed JSON";
                if (r.ValueEquals("slave"))
                {
                    if (!ReadInt(r, 1, 247, out MeterSlave)) return "meter.slave out of range";
                }
                else if (r.ValueEquals("baud"))
                {
                    if (!ReadInt(r, 1200, 115200, out MeterBaud) || !IsStandardBaud(MeterBaud)) return "meter.baud not a standard rate";
                }
                else if (r.ValueEquals("timeout_ms"))
                {
                    if (!ReadInt(r, 20, 5000, out MeterTimeoutMs)) return "meter.timeout_ms out of range";
                }
                else if (r.ValueEquals("retries"))
                {
                    if (!ReadInt(r, 0, 5, out MeterRetries)) return "meter.retries out of range";
                }
                else
                {
                    r.Read();
                    if (!r.SkipValue()) return "malformed JSON";
                }
            }
        }

        private static string ParseCurrentSensor(JsonReader r, CurrentSensorSettings into, string name)
        {
            if (r.Read() != JsonToken.BeginObject) return name + " must be an object";
            while (true)
            {
                JsonToken t = r.Read();
                if (t == JsonToken.EndObject) break;
                if (t != JsonToken.PropertyName) return "malformed JSON";
                if (r.ValueEquals("on_a"))
                {
                    if (!ReadDouble(r, 0, 1000, out into.OnAmps)) return name + ".on_a out of range";
                }
                else if (r.ValueEquals("off_a"))
                {
                    if (!ReadDouble(r, 0, 1000, out into.OffAmps)) return name + ".off_a out of range";
                }
                else if (r.ValueEquals("a_per_count"))
                {
                    if (!ReadDouble(r, 1e-9, 100, out into.AmpsPerCount)) return name + ".a_per_count out of range";
                }
                else
                {
                    r.Read();
                    if (!r.SkipValue()) return "malformed JSON";
                }
            }
            if (!(into.OnAmps > into.OffAmps)) return name + ".on_a must be above off_a";
            return null;
        }

        private static bool ReadInt(JsonReader r, int min, int max, out int value)
        {
            value = 0;
            if (r.Read() != JsonToken.Number) return false;
            double d = r.NumberValue;
            if (d < min || d > max || d != (int)d) return false;
            value = (int)d;
            return true;
        }

        private static bool ReadDouble(JsonReader r, double min, double max, out double value)
        {
            value = 0;
            if (r.Read() != JsonToken.Number) return false;
            value = r.NumberValue;
            return value >= min && value <= max;
        }

        private static bool IsStandardBaud(int baud)
        {
            return baud == 1200 || baud == 2400 || baud == 4800 || baud == 9600 || baud == 19200
                || baud == 38400 || baud == 57600 || baud == 115200;
        }
    }
}
