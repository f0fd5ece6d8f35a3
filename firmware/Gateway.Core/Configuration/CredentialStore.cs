using System;
using Iot.Contract.Signing;
using Iot.Gateway.Hardware;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Configuration
{
    /// <summary>
    /// The device's own broker login, received when it was claimed, kept on a two-sector flash partition with the
    /// same power-loss care as the configuration (ConfigStore: a torn write leaves the previous copy in force).
    /// The copy is the credentials document as the fleet sends it: <c>{"v":1,"dev":id,"user":…,"password":…,"key":…}</c>,
    /// where the optional `key` is the device's evidence key (32 bytes as 64 hex digits) that authenticates its telemetry
    /// (Telemetry/README.md). A copy stored before evidence keys existed has no `key` and still loads.
    /// </summary>
    public sealed class CredentialStore
    {
        /// <summary>Longest user name or password accepted (the fleet's are far shorter).</summary>
        public const int MaxFieldLength = 128;
        private const int MaxDocumentBytes = 512;
        private readonly ConfigStore _store;
        private readonly byte[] _document = new byte[MaxDocumentBytes];
        private readonly JsonWriter _writer;

        /// <summary>Binds the store to a partition of at least two sectors.</summary>
        public CredentialStore(IFlashStore flash)
        {
            _store = new ConfigStore(flash);
            _writer = new JsonWriter(_document);
        }

        /// <summary>Reads the stored login of device dev; false when there is none, or it is torn, corrupt or another device's.</summary>
        public bool TryLoad(string dev, out string userName, out string password)
        {
            byte[] key;
            return TryLoad(dev, out userName, out password, out key);
        }

        /// <summary>As TryLoad, with the evidence key (null when the stored copy has none).</summary>
        public bool TryLoad(string dev, out string userName, out string password, out byte[] evidenceKey)
        {
            int length = _store.Load(_document);
            if (length >= 0 && TryRead(_document, 0, length, dev, out userName, out password, out evidenceKey)) return true;
            userName = null;
            password = null;
            evidenceKey = null;
            return false;
        }

        /// <summary>Stores the login as the new current copy (the previous one stays until this one is complete).</summary>
        public void Save(string dev, string userName, string password)
        {
            Save(dev, userName, password, null);
        }

        /// <summary>Stores the login and the evidence key (null: none) as the new current copy.</summary>
        public void Save(string dev, string userName, string password, byte[] evidenceKey)
        {
            _writer.Reset();
            _writer.BeginObject();
            _writer.Name("v");
            _writer.Number(1);
            _writer.Name("dev");
            _writer.String(dev);
            _writer.Name("user");
            _writer.String(userName);
            _writer.Name("password");
            _writer.String(password);
            if (evidenceKey != null)
            {
                _writer.Name("key");
                _writer.HexString(evidenceKey, 0, evidenceKey.Length);
            }
            _writer.EndObject();
            if (_writer.Overflowed) throw new ArgumentException("credentials too long");
            _store.Save(_writer.Buffer, _writer.Length);
        }

        /// <summary>
        /// Reads a credentials document (<c>{"v":1,"dev":…,"user":…,"password":…}</c>, other members ignored); true when
        /// it is version 1, names device dev and has a user name and password of 1 to MaxFieldLength characters.
        /// </summary>
        public static bool TryRead(byte[] json, int offset, int count, string dev, out string userName, out string password)
        {
            byte[] key;
            return TryRead(json, offset, count, dev, out userName, out password, out key);
        }

        /// <summary>
        /// As TryRead, with the evidence key: `key`, 64 hex digits (32 bytes). A document with a `key` that is not that
        /// is refused as a whole, so a damaged key is never used; a document without `key` gives a null key.
        /// </summary>
        public static bool TryRead(byte[] json, int offset, int count, string dev, out string userName, out string password, out byte[] evidenceKey)
        {
            userName = null;
            password = null;
            evidenceKey = null;
            bool keyBad = false;
            bool devMatches = false;
            bool version1 = false;
            var r = new JsonReader(json, offset, count);
            if (r.Read() != JsonToken.BeginObject) return false;
            while (true)
            {
                JsonToken t = r.Read();
                if (t == JsonToken.EndObject) break;
                if (t != JsonToken.PropertyName) return false;
                if (r.ValueEquals("v"))
                {
                    version1 = r.Read() == JsonToken.Number && r.NumberValue == 1;
                }
                else if (r.ValueEquals("dev"))
                {
                    devMatches = r.Read() == JsonToken.String && r.ValueEquals(dev);
                }
                else if (r.ValueEquals("user"))
                {
                    if (r.Read() == JsonToken.String) userName = r.GetString();
                }
                else if (r.ValueEquals("password"))
                {
                    if (r.Read() == JsonToken.String) password = r.GetString();
                }
                else if (r.ValueEquals("key"))
                {
                    if (r.Read() == JsonToken.String) evidenceKey = HmacSha256.ParseHexKey(r.GetString());
                    else if (!r.SkipValue()) return false;
                    keyBad = evidenceKey == null || evidenceKey.Length != HmacSha256.EvidenceKeyBytes;
                }
                else
                {
                    r.Read();
                    if (!r.SkipValue()) return false;
                }
            }
            if (!version1 || !devMatches || !Usable(userName) || !Usable(password) || keyBad)
            {
                userName = null;
                password = null;
                evidenceKey = null;
                return false;
            }
            return true;
        }

        private static bool Usable(string field)
        {
            return field != null && field.Length > 0 && field.Length <= MaxFieldLength;
        }
    }
}
