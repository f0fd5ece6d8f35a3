using System;
using Iot.Gateway.Hardware;
using Iot.Gateway.Json;

namespace Iot.Gateway.Configuration
{
    /// <summary>
    /// The device's own broker login, received when it was claimed, kept on a two-sector flash partition with the
    /// same power-loss care as the configuration (ConfigStore: a torn write leaves the previous copy in force).
    /// The copy is the credentials document as the fleet sends it: <c>{"v":1,"dev":id,"user":…,"password":…}</c>.
    /// </summary>
    public sealed class CredentialStore
    {
        /// <summary>Longest user name or password accepted (the fleet's are far shorter).</summary>
        public const int MaxFieldLength = 128;
        private const int MaxDocumentBytes = 384;
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
            int length = _store.Load(_document);
            if (length >= 0 && TryRead(_document, 0, length, dev, out userName, out password)) return true;
            userName = null;
            password = null;
            return false;
        }

        /// <summary>Stores the login as the new current copy (the previous one stays until this one is complete).</summary>
        public void Save(string dev, string userName, string password)
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
            userName = null;
            password = null;
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
                else
                {
                    r.Read();
                    if (!r.SkipValue()) return false;
                }
            }
            if (!version1 || !devMatches || !Usable(userName) || !Usable(password))
            {
                userName = null;
                password = null;
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
