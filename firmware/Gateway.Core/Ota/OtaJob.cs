using Iot.Contract.Signing;
using Iot.Gateway.Json;

namespace Iot.Gateway.Ota
{
    /// <summary>
    /// One update as the device tracks it: the fleet's OTA command (job id, URL, the signed manifest and its
    /// signature) plus where the device is with it. The same JSON carries both: the fleet sends
    /// {"cmd":"ota","id":...,"version":...,"url":...,"size":...,"sha256":...,"sig":...,"allow_downgrade":...},
    /// and the device stores that document with "phase", "from", "reason", "attempts" and "reported" added, so
    /// that the job continues (or is reported) after a reboot.
    /// </summary>
    public sealed class OtaJob
    {
        /// <summary>Longest job id accepted.</summary>
        public const int MaxIdLength = 64;
        /// <summary>Longest URL accepted.</summary>
        public const int MaxUrlLength = 512;

        /// <summary>The fleet's job or campaign id, echoed in every ack and event.</summary>
        public string Id;
        /// <summary>Where the bundle is downloaded from (http:// or https://).</summary>
        public string Url;
        /// <summary>The signed fields (the target is the device's own).</summary>
        public readonly ReleaseManifest Manifest = new ReleaseManifest();
        /// <summary>Ed25519 signature of Manifest's canonical text (64 bytes).</summary>
        public readonly byte[] Signature = new byte[64];
        /// <summary>Where the job is (OtaPhase names).</summary>
        public string Phase;
        /// <summary>Version that ran when the job was installed (to return to).</summary>
        public string From;
        /// <summary>Why the job failed or was rolled back.</summary>
        public string Reason;
        /// <summary>Times the image was activated (bounds reinstall loops).</summary>
        public int Attempts;
        /// <summary>True once the final event (confirmed, rolled_back, failed) reached the broker.</summary>
        public bool Reported;

        /// <summary>
        /// Reads an OTA command or a stored job from json[offset..offset+count); returns null on success, else the
        /// reason it was refused. Stored fields are only read with stored true.
        /// </summary>
        public string Parse(byte[] json, int offset, int count, string target, bool stored)
        {
            Id = null;
            Url = null;
            Manifest.Target = target;
            Manifest.Version = null;
            Manifest.Size = 0;
            Manifest.AllowDowngrade = false;
            Phase = null;
            From = null;
            Reason = null;
            Attempts = 0;
            Reported = false;
            bool isOta = stored;
            bool haveHash = false;
            bool haveSignature = false;

            var r = new JsonReader(json, offset, count);
            if (r.Read() != JsonToken.BeginObject) return "not a JSON object";
            while (true)
            {
                JsonToken t = r.Read();
                if (t == JsonToken.EndObject) break;
                if (t != JsonToken.PropertyName) return "malformed JSON";
                if (r.ValueEquals("cmd"))
                {
                    if (r.Read() != JsonToken.String) return "cmd must be a string";
                    isOta = r.ValueEquals("ota");
                }
                else if (r.ValueEquals("id"))
                {
                    if (r.Read() != JsonToken.String) return "id must be a string";
                    Id = r.GetString();
                }
                else if (r.ValueEquals("url"))
                {
                    if (r.Read() != JsonToken.String) return "url must be a string";
                    Url = r.GetString();
                }
                else if (r.ValueEquals("version"))
                {
                    if (r.Read() != JsonToken.String) return "version must be a string";
                    Manifest.Version = r.GetString();
                }
                else if (r.ValueEquals("size"))
                {
                    if (r.Read() != JsonToken.Number) return "size must be a number";
                    double size = r.NumberValue;
                    if (size < 1 || size > int.MaxValue || size != (int)size) return "size out of range";
                    Manifest.Size = (int)size;
                }
                else if (r.ValueEquals("sha256"))
                {
                    if (r.Read() != JsonToken.String || !ReleaseManifest.TryDecodeHex(r.GetString(), Manifest.Sha256)) return "sha256 must be 64 hex digits";
                    haveHash = true;
                }
                else if (r.ValueEquals("sig"))
                {
                    if (r.Read() != JsonToken.String || !ReleaseManifest.TryDecodeHex(r.GetString(), Signature)) return "sig must be 128 hex digits";
                    haveSignature = true;
                }
                else if (r.ValueEquals("allow_downgrade"))
                {
                    t = r.Read();
                    if (t != JsonToken.True && t != JsonToken.False) return "allow_downgrade must be true or false";
                    Manifest.AllowDowngrade = t == JsonToken.True;
                }
                else if (stored && r.ValueEquals("phase"))
                {
                    if (r.Read() != JsonToken.String) return "phase must be a string";
                    Phase = r.GetString();
                }
                else if (stored && r.ValueEquals("from"))
                {
                    if (r.Read() != JsonToken.String) return "from must be a string";
                    From = r.GetString();
                }
                else if (stored && r.ValueEquals("reason"))
                {
                    if (r.Read() != JsonToken.String) return "reason must be a string";
                    Reason = r.GetString();
                }
                else if (stored && r.ValueEquals("attempts"))
                {
                    if (r.Read() != JsonToken.Number) return "attempts must be a number";
                    Attempts = (int)r.NumberValue;
                }
                else if (stored && r.ValueEquals("reported"))
                {
                    t = r.Read();
                    Reported = t == JsonToken.True;
                }
                else
                {
                    // Unknown members (a newer fleet's additions) are skipped.
                    r.Read();
                    if (!r.SkipValue()) return "malformed JSON";
                }
            }
            if (r.Read() != JsonToken.End) return "malformed JSON";
            if (!isOta) return "not an ota command";
            if (!ReleaseManifest.IsValidName(Id, MaxIdLength, true)) return "id must be 1 to 64 of [A-Za-z0-9_-]";
            if (Url == null || Url.Length > MaxUrlLength || !(StartsWith(Url, "http://") || StartsWith(Url, "https://"))) return "url must be http:// or https://";
            if (!ReleaseManifest.IsValidVersion(Manifest.Version)) return "bad version";
            if (Manifest.Size == 0) return "size missing";
            if (!haveHash) return "sha256 missing";
            if (!haveSignature) return "sig missing";
            return null;
        }

        /// <summary>Writes the job as stored (the command's fields plus the device's progress).</summary>
        public void Write(JsonWriter w)
        {
            w.Reset();
            w.BeginObject();
            w.Name("id");
            w.String(Id);
            w.Name("url");
            w.String(Url);
            w.Name("version");
            w.String(Manifest.Version);
            w.Name("size");
            w.Number(Manifest.Size);
            w.Name("sha256");
            WriteHex(w, Manifest.Sha256);
            w.Name("sig");
            WriteHex(w, Signature);
            w.Name("allow_downgrade");
            w.Bool(Manifest.AllowDowngrade);
            w.Name("phase");
            w.String(Phase);
            if (From != null)
            {
                w.Name("from");
                w.String(From);
            }
            if (Reason != null)
            {
                w.Name("reason");
                w.String(Reason);
            }
            w.Name("attempts");
            w.Number(Attempts);
            w.Name("reported");
            w.Bool(Reported);
            w.EndObject();
        }

        /// <summary>True when other describes the same release at the same place (a re-sent or resumed command).</summary>
        public bool SameRelease(OtaJob other)
        {
            if (other.Manifest.Size != Manifest.Size || other.Manifest.Version != Manifest.Version || other.Url != Url) return false;
            for (int i = 0; i < 32; i++)
            {
                if (other.Manifest.Sha256[i] != Manifest.Sha256[i]) return false;
            }
            return true;
        }

        /// <summary>Copies every field of other into this job.</summary>
        public void CopyFrom(OtaJob other)
        {
            Id = other.Id;
            Url = other.Url;
            Manifest.Target = other.Manifest.Target;
            Manifest.Version = other.Manifest.Version;
            Manifest.Size = other.Manifest.Size;
            Manifest.AllowDowngrade = other.Manifest.AllowDowngrade;
            System.Array.Copy(other.Manifest.Sha256, Manifest.Sha256, 32);
            System.Array.Copy(other.Signature, Signature, 64);
            Phase = other.Phase;
            From = other.From;
            Reason = other.Reason;
            Attempts = other.Attempts;
            Reported = other.Reported;
        }

        private static void WriteHex(JsonWriter w, byte[] bytes)
        {
            // JsonWriter takes strings; a stored job is written rarely, so building one here is fine.
            char[] chars = new char[2 * bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = (char)ReleaseManifest.HexDigit(bytes[i] >> 4);
                chars[2 * i + 1] = (char)ReleaseManifest.HexDigit(bytes[i] & 15);
            }
            w.String(new string(chars));
        }

        private static bool StartsWith(string s, string prefix)
        {
            if (s.Length < prefix.Length) return false;
            for (int i = 0; i < prefix.Length; i++)
            {
                if (s[i] != prefix[i]) return false;
            }
            return true;
        }
    }
}
