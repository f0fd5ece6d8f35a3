using System;
using System.Threading;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Runtime
{
    /// <summary>
    /// A managed watchdog for the main loop: the loop feeds it on every pass, and its own thread reboots the device
    /// when no feed came within the timeout. The stock nanoFramework ESP32 image starts no ESP-IDF task watchdog
    /// (CONFIG_ESP_TASK_WDT_INIT=n), so without this a loop stuck in a driver or socket call would hang for ever
    /// while the site goes unmeasured.
    /// </summary>
    public sealed class LoopWatchdog
    {
        private readonly IClock _clock;
        private readonly IReboot _reboot;
        private readonly int _timeoutMs;
        private readonly object _sync = new object();
        private long _fedMs; // a long is not read atomically on the ESP32: under _sync
        private bool _fired;
        private bool _stopped;
        private int _checkEveryMs;

        /// <summary>A watchdog that counts as fed now and reboots through reboot after timeoutMs without a feed.</summary>
        public LoopWatchdog(IClock clock, IReboot reboot, int timeoutMs)
        {
            if (clock == null || reboot == null) throw new ArgumentNullException("clock");
            if (timeoutMs <= 0) throw new ArgumentOutOfRangeException("timeoutMs");
            _clock = clock;
            _reboot = reboot;
            _timeoutMs = timeoutMs;
            _fedMs = clock.MonotonicMs;
        }

        /// <summary>True once the watchdog has rebooted the device.</summary>
        public bool Fired
        {
            get { lock (_sync) return _fired; }
        }

        /// <summary>The loop is alive: restarts the timeout.</summary>
        public void Feed()
        {
            long now = _clock.MonotonicMs;
            lock (_sync) _fedMs = now;
        }

        /// <summary>Reboots (once) when the last feed is older than the timeout; returns true when it has fired.</summary>
        public bool Check()
        {
            long now = _clock.MonotonicMs;
            lock (_sync)
            {
                if (_fired) return true;
                if (now - _fedMs < _timeoutMs) return false;
                _fired = true;
            }
            _reboot.Reboot();
            return true;
        }

        /// <summary>Checks every checkEveryMs on a thread of its own until it fires or Stop is called.</summary>
        public void Start(int checkEveryMs)
        {
            if (checkEveryMs <= 0) throw new ArgumentOutOfRangeException("checkEveryMs");
            _checkEveryMs = checkEveryMs;
            new Thread(Run).Start();
        }

        /// <summary>Ends the checking thread (within one period); the watchdog no longer fires.</summary>
        public void Stop()
        {
            lock (_sync) _stopped = true;
        }

        private void Run()
        {
            while (!Stopped && !Check()) _clock.Sleep(_checkEveryMs);
        }

        private bool Stopped
        {
            get { lock (_sync) return _stopped; }
        }
    }
}
