// Mirrors nanoframework/nanoFramework.Hardware.Esp32 at tag v1.6.40: nanoFramework.Hardware.Esp32/DeviceTypePins.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace nanoFramework.Hardware.Esp32
{
    // Upstream values: device type SERIAL = 3 * 0x10000, device index * 0x100, then TX 0, RX 1, RTS 2, CTS 3.
    // Only the serial functions the gateway uses are listed here.
    public enum DeviceFunction
    {
        COM2_TX = 3 * 0x10000 + 2 * 0x100 + 0,
        COM2_RX = 3 * 0x10000 + 2 * 0x100 + 1,
        COM2_RTS = 3 * 0x10000 + 2 * 0x100 + 2,
        COM2_CTS = 3 * 0x10000 + 2 * 0x100 + 3,
        COM3_TX = 3 * 0x10000 + 3 * 0x100 + 0,
        COM3_RX = 3 * 0x10000 + 3 * 0x100 + 1
    }
}
