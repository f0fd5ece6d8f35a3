namespace Iot.Gateway.Esp32
{
    /// <summary>
    /// Every GPIO the gateway board uses, in one place (ESP32-WROOM-32, no PSRAM). The pin table in
    /// hardware/pin-map.md must say the same; tests/Iot.Firmware.SubsetCheck.Tests compares the two.
    /// Strapping pins (0, 2, 5, 12, 15) and the flash pins (6-11) are left alone.
    /// </summary>
    public static class PinMap
    {
        /// <summary>UART of the RS-485 meter bus.</summary>
        public const string Rs485Port = "COM2";

        /// <summary>UART2 TX to the transceiver's DI.</summary>
        public const int Rs485Tx = 17;

        /// <summary>UART2 RX from the transceiver's RO.</summary>
        public const int Rs485Rx = 16;

        /// <summary>UART2 RTS to the transceiver's DE and /RE: high while the gateway transmits (SerialMode.RS485).</summary>
        public const int Rs485DriverEnable = 4;

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
    }
}
