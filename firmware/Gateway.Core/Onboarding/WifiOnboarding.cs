using Iot.Contract.Onboarding;
using Iot.Gateway.Hardware;
using Iot.Gateway.Provisioning;

namespace Iot.Gateway.Onboarding
{
    /// <summary>
    /// When the onboarding hotspot is open and what it is doing. It opens at boot when the gateway knows no Wi-Fi
    /// network (and then stays open until a network is joined: without one the gateway has nothing else to do), or
    /// when the installer holds the onboarding button for <see cref="LongPressMs"/> (then it closes after
    /// <see cref="IdleCloseMs"/> without a page request, so a forgotten hotspot does not stay on a rooftop). The page
    /// submits a network; the main loop's <see cref="Tick"/> joins it through <see cref="IWifiStation"/> (which keeps
    /// the credentials for later boots, as Improv does) and the page shows whether that worked. After a join the
    /// hotspot closes <see cref="CloseAfterJoinMs"/> later, long enough for the page to show the result. Thread-safe:
    /// the page's server calls <see cref="Submit"/> and reads the state from its own thread.
    /// </summary>
    public sealed class WifiOnboarding
    {
        /// <summary>State: the hotspot is closed.</summary>
        public const int Closed = 0;
        /// <summary>State: open, waiting for a network from the page.</summary>
        public const int Waiting = 1;
        /// <summary>State: a network was submitted and is being joined.</summary>
        public const int Joining = 2;
        /// <summary>State: joined; the hotspot closes soon.</summary>
        public const int Joined = 3;

        /// <summary>Why it opened: no Wi-Fi network is known.</summary>
        public const int OpenedUnconfigured = 1;
        /// <summary>Why it opened: the installer held the button.</summary>
        public const int OpenedByButton = 2;

        /// <summary>How long the button must be held.</summary>
        public const int LongPressMs = 5000;
        /// <summary>A hotspot opened by the button closes after this long without a page request.</summary>
        public const int IdleCloseMs = 10 * 60 * 1000;
        /// <summary>After a successful join the hotspot stays this long, so the page can show the result.</summary>
        public const int CloseAfterJoinMs = 90 * 1000;
        /// <summary>How long joining may take (as over Improv).</summary>
        public const int JoinTimeoutMs = ImprovSerial.JoinTimeoutMs;

        private readonly IWifiStation _wifi;
        private readonly object _gate = new object();
        private string _pendingSsid;
        private string _pendingPassword;
        private long _lastActivityMs;
        private long _joinedAtMs;
        private long _pressedSinceMs = -1;
        private bool _pressReported;

        /// <summary>Joins networks through wifi.</summary>
        public WifiOnboarding(IWifiStation wifi)
        {
            if (wifi == null) throw new System.ArgumentNullException("wifi");
            _wifi = wifi;
        }

        /// <summary>Closed, Waiting, Joining or Joined.</summary>
        public int State { get; private set; }

        /// <summary>Why the hotspot opened (OpenedUnconfigured or OpenedByButton), 0 while closed.</summary>
        public int OpenedBecause { get; private set; }

        /// <summary>The network last submitted (being joined, joined or failed), or null.</summary>
        public string Network { get; private set; }

        /// <summary>True when the last network submitted could not be joined.</summary>
        public bool LastJoinFailed { get; private set; }

        /// <summary>Networks submitted since the hotspot opened.</summary>
        public int Attempts { get; private set; }

        /// <summary>Set when the hotspot should close now (joined, or idle); the platform closes it and calls <see cref="Close"/>.</summary>
        public bool CloseRequested { get; private set; }

        /// <summary>At boot: the hotspot stays closed.</summary>
        public const int BootKeepClosed = 0;
        /// <summary>At boot: save the hotspot open and reboot into it (the image starts it from the saved configuration).</summary>
        public const int BootOpenAndReboot = 1;
        /// <summary>At boot: the hotspot is running; serve it.</summary>
        public const int BootServe = 2;
        /// <summary>At boot: the hotspot is running but may not be (no valid password): save it closed and reboot.</summary>
        public const int BootCloseAndReboot = 3;

        /// <summary>
        /// What the platform does with the hotspot at boot, from whether it may run (a valid password), whether the saved
        /// configuration has it on, whether a Wi-Fi network is known and whether the button is held. Each reboot it
        /// asks for leads to BootServe or BootKeepClosed at the next boot, never to another reboot.
        /// </summary>
        public static int AtBoot(bool hotspotAllowed, bool hotspotOn, bool wifiConfigured, bool buttonHeld)
        {
            if (!hotspotAllowed) return hotspotOn ? BootCloseAndReboot : BootKeepClosed;
            if (hotspotOn) return BootServe;
            return ShouldOpenAtBoot(wifiConfigured, buttonHeld) ? BootOpenAndReboot : BootKeepClosed;
        }

        /// <summary>Why a hotspot found running at boot is open: without a known network it was opened for that.</summary>
        public static int ReasonAtBoot(bool wifiConfigured)
        {
            return wifiConfigured ? OpenedByButton : OpenedUnconfigured;
        }

        /// <summary>Whether the hotspot opens at boot: no network known, or the button held while powering up.</summary>
        public static bool ShouldOpenAtBoot(bool wifiConfigured, bool buttonHeld)
        {
            return !wifiConfigured || buttonHeld;
        }

        /// <summary>The hotspot's SSID: "IOT-" and the last 8 characters of the device id ("IOT-NS-0001"); the label prints the same (SetupHotspot).</summary>
        public static string AccessPointSsid(string deviceId)
        {
            return SetupHotspot.Ssid(deviceId);
        }

        /// <summary>A hotspot password the label can carry: 8 to 63 printable ASCII characters (WPA2-PSK).</summary>
        public static bool IsValidAccessPointPassword(string password)
        {
            return SetupHotspot.IsValidPassword(password);
        }

        /// <summary>The platform opened the hotspot (reason: OpenedUnconfigured or OpenedByButton).</summary>
        public void Open(int reason, long nowMs)
        {
            lock (_gate)
            {
                State = Waiting;
                OpenedBecause = reason;
                Network = null;
                LastJoinFailed = false;
                Attempts = 0;
                CloseRequested = false;
                _pendingSsid = null;
                _pendingPassword = null;
                _lastActivityMs = nowMs;
            }
        }

        /// <summary>The platform closed the hotspot.</summary>
        public void Close()
        {
            lock (_gate)
            {
                State = Closed;
                OpenedBecause = 0;
                CloseRequested = false;
                _pendingSsid = null;
                _pendingPassword = null;
            }
        }

        /// <summary>The page was requested: an installer is at work, so a button-opened hotspot stays open.</summary>
        public void Touch(long nowMs)
        {
            lock (_gate)
            {
                _lastActivityMs = nowMs;
            }
        }

        /// <summary>The page submitted a network; false when none can be taken now (closed, or still joining).</summary>
        public bool Submit(WifiForm form, long nowMs)
        {
            lock (_gate)
            {
                if (State == Closed || State == Joining || form == null) return false;
                _pendingSsid = form.Ssid;
                _pendingPassword = form.Password;
                Network = form.Ssid;
                LastJoinFailed = false;
                Attempts++;
                State = Joining;
                CloseRequested = false;
                _lastActivityMs = nowMs;
                return true;
            }
        }

        /// <summary>
        /// Samples the onboarding button (pressed = true); true once per press when it has been held for
        /// <see cref="LongPressMs"/>: the platform then opens the hotspot.
        /// </summary>
        public bool SampleButton(bool pressed, long nowMs)
        {
            if (!pressed)
            {
                _pressedSinceMs = -1;
                _pressReported = false;
                return false;
            }
            if (_pressedSinceMs < 0) _pressedSinceMs = nowMs;
            if (_pressReported || nowMs - _pressedSinceMs < LongPressMs) return false;
            _pressReported = true;
            return true;
        }

        /// <summary>
        /// Called from the main loop: joins a submitted network (blocking for at most <see cref="JoinTimeoutMs"/>, as
        /// Improv does) and decides when the hotspot closes.
        /// </summary>
        public void Tick(long nowMs)
        {
            string ssid;
            string password;
            lock (_gate)
            {
                if (State == Joined && _joinedAtMs < 0) _joinedAtMs = nowMs;
                if (State == Joined && nowMs - _joinedAtMs >= CloseAfterJoinMs) CloseRequested = true;
                if (State == Waiting && OpenedBecause == OpenedByButton && nowMs - _lastActivityMs >= IdleCloseMs) CloseRequested = true;
                if (State != Joining) return;
                ssid = _pendingSsid;
                password = _pendingPassword;
                _pendingSsid = null;
                _pendingPassword = null;
            }

            bool joined;
            try
            {
                joined = _wifi.Join(ssid, password, JoinTimeoutMs);
            }
            catch (System.Exception)
            {
                joined = false;
            }

            lock (_gate)
            {
                if (State != Joining) return; // closed meanwhile
                LastJoinFailed = !joined;
                if (joined)
                {
                    State = Joined;
                    _joinedAtMs = -1; // Join blocked for a while: the next tick starts the countdown
                }
                else
                {
                    State = Waiting;
                }
                _lastActivityMs = nowMs;
            }
        }
    }
}
