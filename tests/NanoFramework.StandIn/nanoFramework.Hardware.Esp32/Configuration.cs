// Mirrors nanoframework/nanoFramework.Hardware.Esp32 at tag v1.6.40: nanoFramework.Hardware.Esp32/Configuration.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Hardware.Esp32
{
    public class Configuration
    {
        /// <summary>Routes a peripheral signal (UART TX/RX/RTS, ...) to a GPIO through the ESP32's GPIO matrix.</summary>
        public static void SetPinFunction(int pin, DeviceFunction value) { throw new System.NotImplementedException(); }
        public static int GetFunctionPin(DeviceFunction function) { throw new System.NotImplementedException(); }
    }
}
