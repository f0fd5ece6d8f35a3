using System.Threading;
using System;
using Iot.Contract;
using Iot.Gateway.Hardware;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Uplink
{
    /// <summary>
    /// Keeps the broker session up and watches the clock, from the main loop: reconnects with jittered
    /// exponential backoff, reports when the session came up (publish status, drain the journal) and when the
    /// clock gained or lost synchronisation (emit a clock event; windows without sync carry quality bit 1).
    /// With ConnectInBackground each attempt runs on a worker thread, so a DNS, TCP or TLS set-up that takes seconds
    /// (or a broker that never answers) does not hold up the loop's sampling; Step picks up the outcome when it is in.
    /// </summary>
    public sealed class ConnectionSupervisor
    {
        private readonly IMqttLink _mqtt;
        private readonly IClock _clock;
        private readonly ReconnectBackoff _backoff;
        private long _nextAttemptMs;
        private bool _wasConnected;
        private bool _wasSynced;
        private string _userName;
        private string _password;
        private bool _will = true;
        private readonly object _sync = new object();
        private ThreadStart _attemptJob;
        private int _attempt;            // AttemptIdle, AttemptRunning or AttemptDone; under _sync
        private bool _attemptConnected;  // outcome of the finished background attempt
        private string _attemptUserName;
        private string _attemptPassword;
        private bool _attemptWill;

        private const int AttemptIdle = 0;
        private const int AttemptRunning = 1;
        private const int AttemptDone = 2;

        /// <summary>Creates a supervisor; the first connection attempt happens on the first Step.</summary>
        public ConnectionSupervisor(IMqttLink mqtt, IClock clock, ReconnectBackoff backoff)
        {
            if (mqtt == null || clock == null || backoff == null) throw new ArgumentNullException("mqtt");
            _mqtt = mqtt;
            _clock = clock;
            _backoff = backoff;
            _nextAttemptMs = clock.MonotonicMs;
            _wasSynced = clock.IsSynchronized;
        }

        /// <summary>True after the Step in which the session came up.</summary>
        public bool JustConnected { get; private set; }

        /// <summary>True after the Step in which the clock's synchronisation state changed.</summary>
        public bool ClockChanged { get; private set; }

        /// <summary>Quality bits the current window must carry because of the clock (0 or ClockUnsynced).</summary>
        public int ClockQualityBits { get { return _clock.IsSynchronized ? 0 : QualityBits.ClockUnsynced; } }

        /// <summary>Failed connection attempts since the last success.</summary>
        public int FailedAttempts { get { return _backoff.Attempt; } }

        /// <summary>Consecutive attempts the broker refused for their login (bad credentials, not authorized).</summary>
        public int LoginRefusals { get; private set; }

        /// <summary>From now on, makes each connection attempt on a worker thread of its own instead of inside Step.</summary>
        public void ConnectInBackground()
        {
            _attemptJob = Attempt;
        }

        /// <summary>True while a background connection attempt is under way.</summary>
        public bool Connecting
        {
            get { lock (_sync) return _attempt == AttemptRunning; }
        }

        /// <summary>The login of the next connection attempts (null user name: none); will: send the offline will.</summary>
        public void UseLogin(string userName, string password, bool will)
        {
            _userName = userName;
            _password = password;
            _will = will;
            LoginRefusals = 0;
        }

        /// <summary>Ends the session now and connects again (with the current login) on the next Step.</summary>
        public void Reconnect()
        {
            if (_mqtt.IsConnected) _mqtt.Disconnect();
            _wasConnected = false;
            _nextAttemptMs = _clock.MonotonicMs;
        }

        /// <summary>Runs one supervision step.</summary>
        public void Step()
        {
            JustConnected = false;
            bool synced = _clock.IsSynchronized;
            ClockChanged = synced != _wasSynced;
            _wasSynced = synced;

            int attempt;
            lock (_sync)
            {
                attempt = _attempt;
                if (attempt == AttemptDone) _attempt = AttemptIdle;
            }
            if (attempt == AttemptRunning) return;
            if (attempt == AttemptDone)
            {
                Attempted(_attemptConnected);
                return;
            }

            if (_mqtt.IsConnected)
            {
                _wasConnected = true;
                return;
            }
            if (_wasConnected)
            {
                // Lost the session: wait a jittered moment so a whole fleet does not reconnect at once.
                _wasConnected = false;
                _nextAttemptMs = _clock.MonotonicMs + _backoff.NextDelayMs();
                return;
            }
            if (_clock.MonotonicMs < _nextAttemptMs) return;

            if (_attemptJob == null)
            {
                Attempted(_mqtt.Connect(_userName, _password, _will));
                return;
            }
            _attemptUserName = _userName;
            _attemptPassword = _password;
            _attemptWill = _will;
            lock (_sync) _attempt = AttemptRunning;
            new Thread(_attemptJob).Start();
        }

        // The worker thread's body: one attempt with the login Step captured; the outcome is handed back under _sync.
        private void Attempt()
        {
            bool connected = false;
            try
            {
                connected = _mqtt.Connect(_attemptUserName, _attemptPassword, _attemptWill);
            }
            catch (Exception)
            {
                // An adapter that throws counts as a failed attempt: an exception must not end the worker silently.
            }
            lock (_sync)
            {
                _attemptConnected = connected;
                _attempt = AttemptDone;
            }
        }

        private void Attempted(bool connected)
        {
            if (connected)
            {
                _backoff.Reset();
                LoginRefusals = 0;
                _wasConnected = true;
                JustConnected = true;
            }
            else
            {
                // Refused credentials are retried with the same backoff: an operator may fix the account meanwhile.
                if (_mqtt.LoginRefused) LoginRefusals++;
                _nextAttemptMs = _clock.MonotonicMs + _backoff.NextDelayMs();
            }
        }
    }
}
