using System;
using Iot.Contract;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Configuration
{
    /// <summary>
    /// Owns the active configuration: validates a new document, persists it, and only then makes it active.
    /// A refused document changes nothing and produces a config_applied event with ok=false and the reason.
    /// A document identical to the active one (the retained message re-delivered on reconnect) is not rewritten.
    /// </summary>
    public sealed class ConfigManager
    {
        private readonly ConfigStore _store;
        private readonly GatewayConfig _candidate = new GatewayConfig();
        private readonly byte[] _document;
        private int _documentLength = -1;

        /// <summary>Creates the manager; maxDocumentBytes bounds the configuration document.</summary>
        public ConfigManager(ConfigStore store, int maxDocumentBytes)
        {
            if (store == null) throw new ArgumentNullException("store");
            _store = store;
            _document = new byte[maxDocumentBytes];
            Active = new GatewayConfig();
        }

        /// <summary>The configuration in force (defaults until one is accepted).</summary>
        public GatewayConfig Active { get; private set; }

        /// <summary>True when the last successful Apply replaced a different document (not a re-delivery of the active one).</summary>
        public bool LastApplyChanged { get; private set; }

        /// <summary>True once a stored or received document is in force.</summary>
        public bool IsConfigured { get { return _documentLength >= 0; } }

        /// <summary>Restores the stored configuration at boot; false when there is none or it no longer validates.</summary>
        public bool LoadStored()
        {
            int length = _store.Load(_document);
            if (length < 0) return false;
            if (_candidate.Parse(_document, 0, length) != null) return false;
            Active.CopyFrom(_candidate);
            _documentLength = length;
            return true;
        }

        /// <summary>
        /// Validates, persists and applies json[offset..offset+count); writes the config_applied event into
        /// eventWriter; returns true when the document is (now) in force.
        /// </summary>
        public bool Apply(byte[] json, int offset, int count, string dev, long nowUtc, JsonWriter eventWriter)
        {
            LastApplyChanged = false;
            string error = count > _document.Length || count > _store.MaxDocumentBytes
                ? "document too large"
                : _candidate.Parse(json, offset, count);

            TelemetryEncoder.BeginEvent(eventWriter, dev, nowUtc, EventType.ConfigApplied);
            eventWriter.Name("ok");
            eventWriter.Bool(error == null);
            if (error != null)
            {
                eventWriter.Name("error");
                eventWriter.String(error);
                TelemetryEncoder.EndEvent(eventWriter);
                return false;
            }
            TelemetryEncoder.EndEvent(eventWriter);

            if (!SameAsActive(json, offset, count))
            {
                Array.Copy(json, offset, _document, 0, count);
                _store.Save(_document, count);
                _documentLength = count;
                LastApplyChanged = true;
            }
            Active.CopyFrom(_candidate);
            return true;
        }

        private bool SameAsActive(byte[] json, int offset, int count)
        {
            if (count != _documentLength) return false;
            for (int i = 0; i < count; i++)
            {
                if (json[offset + i] != _document[i]) return false;
            }
            return true;
        }
    }
}
