using System;
using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Json;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Provisioning
{
    /// <summary>Which broker login a gateway uses (ClaimExchange.Login).</summary>
    public enum LoginKind
    {
        /// <summary>No user name: a broker without accounts (tests, a local demo).</summary>
        Anonymous = 0,
        /// <summary>User name and password from the device's settings (a gateway registered directly).</summary>
        Configured = 1,
        /// <summary>The device's own login, received when it was claimed and kept in flash.</summary>
        Claimed = 2,
        /// <summary>boot-{id} with the bootstrap secret from the factory: only iot/v1/{id}/prov/# until claimed.</summary>
        Bootstrap = 3
    }

    /// <summary>
    /// The gateway's side of the claim flow (the fleet's side is fleet/Iot.Fleet/Provisioning/ProvisioningExchange.cs).
    /// It picks the login: configured credentials, else the own credentials stored when the device was claimed, else
    /// the factory's bootstrap account, else none. While on the bootstrap account the gateway only subscribes
    /// iot/v1/{id}/prov/credentials and says hello on iot/v1/{id}/prov/hello (after every connect and every 30 s);
    /// the runtime sends nothing else and keeps journaling. When the fleet answers with this device's credentials
    /// they are stored durably first, then the runtime reconnects with them. Stored credentials that the broker
    /// refuses are not replaced by the bootstrap account: the supervisor keeps retrying and counts the refusals.
    /// The credentials may carry the device's evidence key (`key`), stored with them and used to authenticate telemetry.
    /// </summary>
    public sealed class ClaimExchange
    {
        /// <summary>Time between hellos while unclaimed.</summary>
        public const int HelloIntervalMs = 30000;
        /// <summary>User name prefix of bootstrap accounts (as the fleet's BrokerAccounts.BootstrapPrefix).</summary>
        public const string BootstrapPrefix = "boot-";

        private readonly IMqttLink _mqtt;
        private readonly IClock _clock;
        private readonly DeviceTopics _topics;
        private readonly string _dev;
        private readonly CredentialStore _store;
        private readonly byte[] _hello;
        private readonly int _helloLength;
        private long _nextHelloMs;

        /// <summary>
        /// Chooses the login. userName/password: configured credentials (null: none); store: where claimed
        /// credentials are kept (null: not kept across reboots); bootstrapSecret: from the factory (null: none).
        /// </summary>
        public ClaimExchange(IMqttLink mqtt, IClock clock, DeviceTopics topics, string dev, string firmware,
            string userName, string password, CredentialStore store, string bootstrapSecret)
            : this(mqtt, clock, topics, dev, firmware, userName, password, null, store, bootstrapSecret)
        {
        }

        /// <summary>
        /// As above; configuredEvidenceKey is the evidence key that goes with configured credentials (a gateway
        /// registered directly gets it from POST /api/devices/{id}/evidence-key; null: none). A claimed gateway's key
        /// comes with its credentials and is kept with them in the store.
        /// </summary>
        public ClaimExchange(IMqttLink mqtt, IClock clock, DeviceTopics topics, string dev, string firmware,
            string userName, string password, byte[] configuredEvidenceKey, CredentialStore store, string bootstrapSecret)
        {
            if (mqtt == null || clock == null || topics == null || dev == null) throw new ArgumentNullException("mqtt");
            _mqtt = mqtt;
            _clock = clock;
            _topics = topics;
            _dev = dev;
            _store = store;

            var w = new JsonWriter(new byte[64 + 2 * dev.Length + (firmware == null ? 0 : 2 * firmware.Length)]);
            w.BeginObject();
            w.Name("v");
            w.Number(1);
            w.Name("dev");
            w.String(dev);
            w.Name("fw");
            w.String(firmware == null ? "" : firmware);
            w.EndObject();
            _hello = w.Buffer;
            _helloLength = w.Length;

            string storedUser;
            string storedPassword;
            byte[] storedKey;
            if (userName != null && userName.Length > 0)
            {
                Use(LoginKind.Configured, userName, password);
                EvidenceKey = configuredEvidenceKey;
            }
            else if (store != null && store.TryLoad(dev, out storedUser, out storedPassword, out storedKey))
            {
                Use(LoginKind.Claimed, storedUser, storedPassword);
                EvidenceKey = storedKey;
            }
            else if (bootstrapSecret != null && bootstrapSecret.Length > 0)
            {
                Use(LoginKind.Bootstrap, BootstrapPrefix + dev, bootstrapSecret);
            }
            else
            {
                Use(LoginKind.Anonymous, null, null);
                EvidenceKey = configuredEvidenceKey; // a broker without accounts (tests, a demo) may still have a registered device's key
            }
        }

        /// <summary>The login in use.</summary>
        public LoginKind Login { get; private set; }

        /// <summary>True while on the bootstrap account: only the provisioning topics may be used.</summary>
        public bool Unclaimed { get { return Login == LoginKind.Bootstrap; } }

        /// <summary>MQTT user name (null: anonymous).</summary>
        public string UserName { get; private set; }

        /// <summary>MQTT password.</summary>
        public string Password { get; private set; }

        /// <summary>
        /// The device's 32-byte evidence key, which authenticates its telemetry (Telemetry/README.md): received with
        /// the credentials at claim, or configured with them; null when the device has none (claimed before evidence
        /// keys existed, or not configured): its envelopes then carry no `mac`.
        /// </summary>
        public byte[] EvidenceKey { get; private set; }

        /// <summary>Hellos sent in this run.</summary>
        public int HellosSent { get; private set; }

        /// <summary>The session came up on the bootstrap account: subscribe to the credentials, say hello at once.</summary>
        public void Connected(IMqttInbox inbox)
        {
            if (!Unclaimed) return;
            if (inbox != null) inbox.Subscribe(_topics.ProvisioningCredentials);
            _nextHelloMs = _clock.MonotonicMs;
            Step();
        }

        /// <summary>While unclaimed and connected, says hello when it is due.</summary>
        public void Step()
        {
            if (!Unclaimed || !_mqtt.IsConnected || _clock.MonotonicMs < _nextHelloMs) return;
            if (_mqtt.Publish(_topics.ProvisioningHello, _hello, _helloLength, false) < 0) return; // try again next Step
            HellosSent++;
            _nextHelloMs = _clock.MonotonicMs + HelloIntervalMs;
        }

        /// <summary>
        /// Takes a message from iot/v1/{id}/prov/credentials; true when it carried this device's login, which is now
        /// stored and in use (the caller reconnects). Anything else (another dev, bad JSON, already claimed) is ignored.
        /// </summary>
        public bool TakeCredentials(byte[] payload, int length)
        {
            if (!Unclaimed || length < 0 || length > payload.Length) return false;
            string userName;
            string password;
            byte[] key;
            if (!CredentialStore.TryRead(payload, 0, length, _dev, out userName, out password, out key)) return false;
            // Stored before use: a power cut now leaves either the old state (bootstrap, hello again) or the new login.
            if (_store != null) _store.Save(_dev, userName, password, key);
            Use(LoginKind.Claimed, userName, password);
            EvidenceKey = key;
            return true;
        }

        private void Use(LoginKind kind, string userName, string password)
        {
            Login = kind;
            UserName = userName;
            Password = password;
        }
    }
}
