namespace Iot.Gateway.Esp32
{
    /// <summary>
    /// Every GPIO the gateway board uses, in one place (ESP32-WROVER-E-N8R8: 8 MB flash, 8 MB PSRAM). The pin table in
    /// hardware/pin-map.md must say the same; tests/Iot.Firmware.SubsetCheck.Tests compares the two.
    /// Strapping pins (0, 2, 5, 12, 15), the flash pins (6-11) and GPIO16/17 (the PSRAM's chip select and clock) are
    /// left alone. nanoFramework names the ESP32's UARTs COM1 = UART0 (kept by the debugger on the stock image),
    /// COM2 = UART1, COM3 = UART2; any UART's signals can be routed to these pins with Configuration.SetPinFunction.
    /// </summary>
    public static class PinMap
    {
        /// <summary>UART of the RS-485 meter bus: COM2 = UART1.</summary>
        public const string Rs485Port = "COM2";

        /// <summary>UART1 TX to the transceiver's DI: GPIO18, plain I/O (16/17 are the PSRAM's, 32/33 kept for ADC1).</summary>
        public const int Rs485Tx = 18;

        /// <summary>UART1 RX from the transceiver's RO: GPIO19, plain I/O.</summary>
        public const int Rs485Rx = 19;

        /// <summary>UART1 RTS to the transceiver's DE and /RE: high while the gateway transmits (SerialMode.RS485).</summary>
        public const int Rs485DriverEnable = 4;

        /// <summary>UART of the installer's Improv service header: COM3 = UART2 (COM1 = UART0 belongs to the debugger).</summary>
        public const string ImprovPort = "COM3";

        /// <summary>UART2 TX to the service header (the installer's USB-serial adapter's RX).</summary>
        public const int ImprovTx = 25;

        /// <summary>UART2 RX from the service header (the adapter's TX).</summary>
        public const int ImprovRx = 26;

        /// <summary>Exhaust-fan current transformer: GPIO34 is ADC1 channel 6 (ADC2 is unusable while Wi-Fi runs).</summary>
        public const int FanCurrentSense = 34;

        /// <summary>ADC1 channel of FanCurrentSense.</summary>
        public const int FanCurrentAdcChannel = 6;

        /// <summary>Purifier current transformer: GPIO35 is ADC1 channel 7.</summary>
        public const int PurifierCurrentSense = 35;

        /// <summary>ADC1 channel of PurifierCurrentSense.</summary>
        public const int PurifierCurrentAdcChannel = 7;

        /// <summary>Tamper switch to GND, internal pull-up: low while the lid is shut, high when it opens or the wire is cut.</summary>
        public const int TamperSwitch = 27;

        /// <summary>Installer's onboarding button to GND inside the lid, internal pull-up: held 5 s (or at power-up) opens the
        /// Wi-Fi setup hotspot. GPIO23: plain I/O, no strapping role, so holding it at power-up does not change the boot mode.</summary>
        public const int OnboardingButton = 23;
    }
}
