using System;
using System.Device.Wifi;
using System.Diagnostics;
using System.Threading;
using Iot.Gateway.Esp32.Adapters;
using Iot.Gateway.Hardware;
using Iot.Gateway.Onboarding;
using Iot.Gateway.Provisioning;
using Iot.Gateway.Runtime;
using Iot.Gateway.Sensors;
using nanoFramework.Hardware.Esp32;
using nanoFramework.Networking;
using NativePower = nanoFramework.Runtime.Native.Power; // "Power" alone would name the core's Iot.Gateway.Power
using PinFunctions = nanoFramework.Hardware.Esp32.Configuration;

namespace Iot.Gateway.Esp32
{
    /// <summary>
    /// The ESP32 gateway: reads I:\device.json, wires the real adapters into the portable GatewayRuntime and calls
    /// its Tick once a second for ever. All behaviour lives in firmware/Gateway.Core; this file only connects pins.
    /// </summary>
    public class Program
    {
        /// <summary>Version of this build; reported until the boot marker names the running bundle (over-the-air updates).</summary>
        public const string FirmwareVersion = "1.0.0";

        // The portable core's files on the internal drive (littlefs). The journal takes at most 128 segments of 4 KiB
        // (RecordJournal: over 72 hours of any site kind); the small stores are two 4 KiB sectors each.
        private const string Drive = "I:\\";
        private const int SectorBytes = 4096;
        private const int TwoSectors = 2 * SectorBytes;
        // Largest bundle a download may stage (the other bundle slot; README.md, "Over-the-air updates").
        private const int BundleBytes = 512 * 1024;

        private const int WifiTimeoutMs = 60000;
        private const int TickMs = 1000;

        // Improv Wi-Fi onboarding (README.md) on the service header, at the speed Improv clients use.
        private const int ImprovBaud = 115200;
        // Longer than the slowest sound pass (an HTTP set-up bounded at 10 s, a Modbus round with retries, a sector
        // erase), short enough that a stuck loop loses about two minute records before the reboot.
        private const int WatchdogTimeoutMs = 120000;
        private const int WatchdogCheckMs = 5000;
        // A runtime that cannot even start (a flash partition that throws) is retried by rebooting, this often.
        private const int BootRetryMs = 60000;
        // A city's gateways close each minute together; each publishes it 0–20 s later at an offset of its own.
        private const int LiveSpreadSeconds = 20;
        // Refused logins in a row after which the console says so (the runtime keeps retrying with backoff).
        private const int ReportRefusalsAfter = 3;
        // Addresses the hotspot's DHCP hands out (192.168.4.2 to .5): more than the stations it admits, so a phone that
        // rejoins with a new random MAC still gets one.
        private const int HotspotLeases = 4;

        /// <summary>Entry point.</summary>
        public static void Main()
        {
            string problem;
            DeviceSettings settings = DeviceSettings.Load(DeviceSettings.DefaultPath, out problem);
            while (settings == null)
            {
                // Not provisioned: nothing can be sent anywhere. Wait for the installer to deploy device.json.
                Debug.WriteLine("gateway not provisioned: " + problem);
                Thread.Sleep(30000);
                settings = DeviceSettings.Load(DeviceSettings.DefaultPath, out problem);
            }

            // "Configuration" alone would name the core's Iot.Gateway.Configuration namespace here.
            PinFunctions.SetPinFunction(PinMap.Rs485Tx, DeviceFunction.COM2_TX);
            PinFunctions.SetPinFunction(PinMap.Rs485Rx, DeviceFunction.COM2_RX);
            PinFunctions.SetPinFunction(PinMap.Rs485DriverEnable, DeviceFunction.COM2_RTS);
            PinFunctions.SetPinFunction(PinMap.ImprovTx, DeviceFunction.COM3_TX);
            PinFunctions.SetPinFunction(PinMap.ImprovRx, DeviceFunction.COM3_RX);

            // Wi-Fi onboarding from a phone (README.md): the hotspot opens at boot when no network is known or the
            // installer holds the button, and later when the button is held for 5 s. Its settings take effect at a boot.
            var station = new WifiStation();
            var onboarding = new WifiOnboarding(station);
            var button = new GpioButton(PinMap.OnboardingButton);
            string hotspotSsid = WifiOnboarding.AccessPointSsid(settings.DeviceId);
            bool hotspotAllowed = WifiOnboarding.IsValidAccessPointPassword(settings.HotspotPassword);
            bool wifiConfigured = (settings.WifiSsid != null && settings.WifiSsid.Length > 0) || SoftAccessPoint.StationConfigured();
            if (!hotspotAllowed) Debug.WriteLine("setup hotspot off: device.json has no ap_password of 8 to 63 printable characters");
            int atBoot = WifiOnboarding.AtBoot(hotspotAllowed, SoftAccessPoint.IsEnabled(), wifiConfigured, button.IsPressed);
            // Returns only when the configuration could not be saved: then the boot goes on without the hotspot.
            if (atBoot == WifiOnboarding.BootOpenAndReboot) OpenHotspotAndReboot(hotspotSsid, settings.HotspotPassword, null);
            if (atBoot == WifiOnboarding.BootCloseAndReboot) CloseHotspotAndReboot(null);
            if (atBoot != WifiOnboarding.BootServe) atBoot = WifiOnboarding.BootKeepClosed;

            if (wifiConfigured) JoinWifi(settings);
            var clock = new SntpClock(settings.NtpServer1, settings.NtpServer2);
            var mqtt = new M2MqttLink(settings.BrokerHost, settings.BrokerPort, settings.UseTls, settings.DeviceId);
            ImprovSerial improv = OpenImprov(settings.DeviceId, station, clock);
            OnboardingServer hotspot = null;
            if (atBoot == WifiOnboarding.BootServe)
            {
                hotspot = StartHotspot(onboarding, settings.DeviceId, clock, WifiOnboarding.ReasonAtBoot(wifiConfigured));
                Debug.WriteLine("setup hotspot " + hotspotSsid + " open at http://" + SoftAccessPoint.Address + "/");
            }
            var reboot = new DeviceReboot();

            var hardware = new GatewayHardware();
            hardware.Clock = clock;
            hardware.Mqtt = mqtt;
            hardware.Inbox = mqtt;
            var files = new LittleFsFileStore(Drive);
            hardware.JournalFiles = files;
            hardware.ConfigFlash = new FileFlashStore(files, "config.bin", TwoSectors, SectorBytes);
            hardware.BootFlash = new FileFlashStore(files, "boot.bin", TwoSectors, SectorBytes);
            hardware.CredentialFlash = new FileFlashStore(files, "login.bin", TwoSectors, SectorBytes);
            hardware.Sensors = ComposeSensors(settings, clock);
            hardware.Tamper = new GpioTamperSwitch(PinMap.TamperSwitch);
            var firmware = new FlashFirmwareSlots(BootMarker.DefaultPath, FirmwareVersion, BundleBytes);
            hardware.Firmware = firmware;
            hardware.FirmwareDownload = new HttpFirmwareDownload(null);
            hardware.OtaFlash = new FileFlashStore(files, "ota.bin", TwoSectors, SectorBytes);
            hardware.Reboot = reboot;

            var options = new GatewayRuntimeOptions();
            options.DeviceId = settings.DeviceId;
            options.Firmware = firmware.RunningVersion;
            options.Ota.ReleaseKey = settings.ReleaseKey; // null: updates stay off
            options.UserName = settings.UserName;
            options.Password = settings.Password;
            options.EvidenceKey = settings.EvidenceKey;
            options.BootstrapSecret = settings.BootstrapSecret;
            options.DefaultSite = settings.Site;
            options.ConnectInBackground = true; // M2Mqtt's Connect blocks for the whole DNS, TCP and TLS set-up
            options.LiveSpreadSeconds = LiveSpreadSeconds;

            GatewayRuntime runtime = null;
            try
            {
                runtime = new GatewayRuntime(hardware, options);
            }
            catch (Exception e)
            {
                Debug.WriteLine("gateway cannot start: " + e.Message + "; rebooting");
                Thread.Sleep(BootRetryMs);
                reboot.Reboot();
            }
            if (runtime.Login == LoginKind.Bootstrap) Debug.WriteLine("gateway unclaimed: saying hello on its provisioning topic until claimed");
            bool refusalReported = false;

            var watchdog = new LoopWatchdog(clock, reboot, WatchdogTimeoutMs);
            watchdog.Start(WatchdogCheckMs);

            long next = clock.MonotonicMs;
            while (true)
            {
                watchdog.Feed();
                PollImprov(improv);
                TendOnboarding(onboarding, hotspot, hotspotAllowed, button, improv, clock, runtime, hotspotSsid, settings.HotspotPassword);
                runtime.Tick();
                if (runtime.RestartRequested)
                {
                    // An update switched bundles (or rolled back): the loader applies the marker at the next boot.
                    runtime.Shutdown();
                    NativePower.RebootDevice();
                }
                if (runtime.LoginRefusals >= ReportRefusalsAfter && !refusalReported)
                {
                    // Never falls back to the bootstrap account by itself: the fleet must fix or reissue the login.
                    Debug.WriteLine("broker refuses the gateway's login (" + runtime.LoginRefusals.ToString() + " times); retrying with backoff");
                }
                refusalReported = runtime.LoginRefusals >= ReportRefusalsAfter;
                next += TickMs;
                long wait = next - clock.MonotonicMs;
                if (wait > 0) clock.Sleep((int)wait);
                else next = clock.MonotonicMs; // a slow second (reconnect, flash erase): do not try to catch up
            }
        }

        // This board's sensors (PinMap, hardware/wiring.md): the meters on the RS-485 bus and the fan and purifier
        // current clamps on ADC1; no particulate UART. The runtime asks for the components of each configuration.
        private static ISensorComposition ComposeSensors(DeviceSettings settings, SntpClock clock)
        {
            var bus = new UartLink(PinMap.Rs485Port, settings.MeterBaud, clock, rs485: true);
            var clamps = new Esp32Adc(new int[] { PinMap.FanCurrentAdcChannel, PinMap.PurifierCurrentAdcChannel });
            var sensors = new BoardSensors(clock, bus, clamps);
            sensors.FanAdcChannel = PinMap.FanCurrentAdcChannel;
            sensors.PurifierAdcChannel = PinMap.PurifierCurrentAdcChannel;
            sensors.CtSamplesPerBurst = 2 * Esp32Adc.SamplesPerMainsCycle;
            return sensors;
        }

        // Improv is the installer's convenience, never a reason not to measure: a port that cannot open means no Improv.
        private static ImprovSerial OpenImprov(string deviceId, WifiStation station, SntpClock clock)
        {
            try
            {
                return new ImprovSerial(new UartLink(PinMap.ImprovPort, ImprovBaud, clock, rs485: false), station, "Iot.Gateway", FirmwareVersion, "esp32", deviceId);
            }
            catch (Exception e)
            {
                Debug.WriteLine("Improv off: " + PinMap.ImprovPort + " did not open: " + e.Message);
                return null;
            }
        }

        private static void PollImprov(ImprovSerial improv)
        {
            if (improv == null) return;
            try
            {
                improv.Poll();
            }
            catch (Exception e)
            {
                Debug.WriteLine("Improv: " + e.Message);
            }
        }

        // The hotspot's DHCP, DNS and page on their own thread; the page's Wi-Fi attempts run in TendOnboarding.
        private static OnboardingServer StartHotspot(WifiOnboarding onboarding, string deviceId, SntpClock clock, int reason)
        {
            onboarding.Open(reason, clock.MonotonicMs);
            var portal = new CaptivePortal(onboarding, deviceId, SoftAccessPoint.Address);
            var dns = new DnsResponder(SoftAccessPoint.AddressBytes);
            var dhcp = new DhcpResponder(SoftAccessPoint.AddressBytes, HotspotLeases, portal.PageUrl);
            var server = new OnboardingServer(portal, dns, dhcp, clock);
            server.Start();
            return server;
        }

        // Once a second: the button opens the hotspot; an open hotspot joins what the page submitted and closes when
        // WifiOnboarding says so (joined, idle, or a network given over Improv meanwhile).
        private static void TendOnboarding(WifiOnboarding onboarding, OnboardingServer hotspot, bool hotspotAllowed, GpioButton button,
            ImprovSerial improv, SntpClock clock, GatewayRuntime runtime, string ssid, string password)
        {
            try
            {
                long now = clock.MonotonicMs;
                if (hotspot == null)
                {
                    if (hotspotAllowed && onboarding.SampleButton(button.IsPressed, now)) OpenHotspotAndReboot(ssid, password, runtime);
                    return;
                }
                onboarding.Tick(now);
                bool improvJoined = improv != null && improv.NetworksJoined > 0 && onboarding.State == WifiOnboarding.Waiting;
                if (onboarding.CloseRequested || improvJoined)
                {
                    hotspot.Stop();
                    CloseHotspotAndReboot(runtime);
                }
            }
            catch (Exception e)
            {
                Debug.WriteLine("setup hotspot: " + e.Message);
            }
        }

        // The hotspot is the installer's convenience, never a reason not to measure: a configuration that cannot be
        // saved means no hotspot (and no reboot).
        private static void OpenHotspotAndReboot(string ssid, string password, GatewayRuntime runtime)
        {
            try
            {
                SoftAccessPoint.Enable(ssid, password);
            }
            catch (Exception e)
            {
                Debug.WriteLine("setup hotspot cannot open: " + e.Message);
                return;
            }
            Debug.WriteLine("opening the setup hotspot " + ssid + ": rebooting");
            if (runtime != null) runtime.Shutdown();
            NativePower.RebootDevice();
        }

        private static void CloseHotspotAndReboot(GatewayRuntime runtime)
        {
            try
            {
                SoftAccessPoint.Disable();
            }
            catch (Exception e)
            {
                Debug.WriteLine("setup hotspot cannot close: " + e.Message);
                return;
            }
            Debug.WriteLine("closing the setup hotspot: rebooting");
            if (runtime != null) runtime.Shutdown();
            NativePower.RebootDevice();
        }

        /// <summary>IReboot as a software reset of the ESP32; the loader starts the firmware again.</summary>
        private sealed class DeviceReboot : IReboot
        {
            public void Reboot()
            {
                NativePower.RebootDevice();
            }
        }

        private static void JoinWifi(DeviceSettings settings)
        {
            // Waits until the network is up and the date is valid, at most a minute. On failure the runtime starts
            // anyway: it measures into the journal, and the firmware keeps reconnecting (WifiReconnectionKind.Automatic).
            var timeout = new CancellationTokenSource(WifiTimeoutMs);
            bool ready = settings.WifiSsid != null && settings.WifiSsid.Length > 0
                ? WifiNetworkHelper.ConnectDhcp(settings.WifiSsid, settings.WifiPassword, WifiReconnectionKind.Automatic, true, 0, timeout.Token)
                : WifiNetworkHelper.Reconnect(true, 0, timeout.Token);
            if (!ready) Debug.WriteLine("Wi-Fi not ready: " + StatusName(WifiNetworkHelper.Status));
        }

        private static string StatusName(NetworkHelperStatus status)
        {
            // Enum names are not kept on the device (no Enum reflection): name the cases that matter.
            switch (status)
            {
                case NetworkHelperStatus.TokenExpiredWaitingIPAddress: return "no IP address";
                case NetworkHelperStatus.TokenExpiredWaitingDateTime: return "no valid date (SNTP)";
                case NetworkHelperStatus.FailedNoNetworkInterface: return "no network interface";
                case NetworkHelperStatus.ExceptionOccurred: return "exception";
                default: return "status " + ((int)status).ToString();
            }
        }
    }
}
